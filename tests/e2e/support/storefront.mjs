// Helpers for the storefront catalog specs: the API as ground truth, waiting for the
// single-page app to finish a view, and reading what the product cards show.
import assert from 'node:assert/strict';

// GET an API path on the shop and return its `data`, failing on an error envelope.
export async function apiData(shop, path) {
  const response = await fetch(`${shop.url}${path}`, { headers: { Accept: 'application/json' } });
  const body = await response.json();
  assert.equal(body.success, true, `${path} answered ${response.status} ${JSON.stringify(body.error)}`);
  return body.data;
}

// Waits until the app has rendered the URL in the address bar (the router marks
// <main id="app"> with data-state="ready" and the rendered data-href).
export async function waitForView(page, view) {
  await page.waitForFunction((expected) => {
    const app = document.getElementById('app');
    return app && app.dataset.state === 'ready' &&
      app.dataset.href === `${location.pathname}${location.search}` &&
      (!expected || app.dataset.view === expected);
  }, view || null);
}

// What every product card on the page shows, in order.
export async function readCards(page, scope = 'main') {
  return page.locator(`${scope} .product-card`).evaluateAll((cards) => cards.map((card) => ({
    id: Number(card.dataset.productId),
    priceCents: Number(card.dataset.priceCents),
    categorySlug: card.dataset.categorySlug,
    href: card.querySelector('a').getAttribute('href'),
    name: card.querySelector('.card-title').textContent.trim(),
    category: card.querySelector('.card-category').textContent.trim(),
    price: card.querySelector('.card-price').textContent.trim(),
    badge: card.querySelector('.badge')?.textContent.trim() ?? null,
    image: card.querySelector('img').getAttribute('src'),
  })));
}

// The storefront's money format, computed independently: integer minor units as an
// exact decimal string, formatted by Intl for the page's locale (en-US).
export function formatPrice(cents, currency = 'USD') {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits;
  const text = String(BigInt(cents) < 0n ? -BigInt(cents) : BigInt(cents)).padStart(digits + 1, '0');
  const decimal = `${BigInt(cents) < 0n ? '-' : ''}${digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text}`;
  return format.format(decimal);
}

// The card badge a product's stock should produce.
export function expectedBadge(stock) {
  if (stock <= 0) return 'Out of stock';
  if (stock <= 5) return `Only ${stock} left`;
  return null;
}

// Lazy images load only near the viewport: scroll through the page so a full-page
// screenshot shows every one of them, then back to the top.
export async function loadAllImages(page) {
  await page.evaluate(async () => {
    const step = Math.max(200, window.innerHeight / 2);
    for (let y = 0; y < document.scrollingElement.scrollHeight; y += step) {
      window.scrollTo(0, y);
      await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    }
    // Sections filled in after the view (e.g. "More in <category>") add images while
    // we wait: wait again until none is pending.
    for (let round = 0; round < 10; round++) {
      const pending = [...document.images].filter((img) => !img.complete);
      if (!pending.length) break;
      await Promise.all(pending.map((img) => new Promise((resolve) => {
        img.addEventListener('load', resolve, { once: true });
        img.addEventListener('error', resolve, { once: true });
      })));
    }
    window.scrollTo(0, 0);
  });
  const broken = await page.evaluate(() =>
    [...document.images].filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.src));
  assert.deepEqual(broken, [], 'images that did not load');
}

// Layout check: nothing makes the page scroll sideways.
export async function assertNoHorizontalOverflow(page, what = 'the page') {
  const { viewport, scrollWidth, wide } = await page.evaluate(() => ({
    viewport: window.innerWidth,
    scrollWidth: document.scrollingElement.scrollWidth,
    // Elements sticking out of the viewport, except inside a sideways scroller (the
    // category bar scrolls on phones by design).
    wide: [...document.querySelectorAll('body *')].filter((el) => {
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || (r.right <= window.innerWidth + 0.5 && r.left >= -0.5)) return false; // 1px: .sr-only
      for (let p = el.parentElement; p; p = p.parentElement) {
        const overflow = getComputedStyle(p).overflowX;
        if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden' || overflow === 'clip') return false;
      }
      return true;
    }).slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`),
  }));
  assert.ok(scrollWidth <= viewport,
    `${what} scrolls horizontally: scrollWidth ${scrollWidth} > ${viewport} (${wide.join(', ')})`);
  assert.deepEqual(wide, [], `${what}: elements stick out of the ${viewport}px viewport`);
}

// The browser's console line for a 404 answer a test asked for on purpose.
export function allow404(pathPattern) {
  return new RegExp(`status of 404 .*${pathPattern}`);
}
