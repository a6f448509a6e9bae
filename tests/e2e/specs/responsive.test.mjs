// Layout at phone and desktop widths against a seeded shop: nothing forces horizontal
// scrolling, and the grid goes from one column on a phone to four on a desktop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactPath } from '../support/paths.mjs';
import { assertNoHorizontalOverflow, loadAllImages, waitForView } from '../support/storefront.mjs';
import { assertNoProblems, useShop } from '../support/suite.mjs';

const shop = useShop('responsive', { seed: { products: 30 } });

const PHONE = { width: 375, height: 740 };

// Distinct left edges of the cards in the grid = its number of columns.
async function gridColumns(page) {
  return page.locator('main .product-grid').first().evaluate((grid) =>
    new Set([...grid.querySelectorAll('.product-card')].map((c) => Math.round(c.getBoundingClientRect().left))).size);
}

test('at 375px wide the header and main content fit without horizontal scroll', async () => {
  const { page, problems } = await shop.openPage({ viewport: PHONE, isMobile: true, hasTouch: true });
  await page.goto(`${shop.url}/`);
  await waitForView(page, 'catalog');
  await page.locator('#status', { hasText: 'The shop is open.' }).waitFor();

  const layout = await page.evaluate(() => {
    const box = (sel) => {
      const el = document.querySelector(sel);
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { left: r.left, right: r.right, width: r.width, scrollWidth: el.scrollWidth, clientWidth: el.clientWidth };
    };
    return {
      viewport: window.innerWidth,
      header: box('header.site-header'),
      main: box('main'),
      search: box('header .search'),
    };
  });
  assert.equal(layout.viewport, PHONE.width);
  for (const part of ['header', 'main', 'search']) {
    const b = layout[part];
    assert.ok(b, `no ${part} element`);
    assert.ok(b.left >= 0 && b.right <= layout.viewport,
      `${part} sticks out of the viewport: ${JSON.stringify(b)}`);
    assert.ok(b.scrollWidth <= b.clientWidth, `${part} overflows its own box: ${JSON.stringify(b)}`);
  }
  await assertNoHorizontalOverflow(page, 'the home page at 375px');
  assert.equal(await gridColumns(page), 1, 'one product per row on a phone');

  await loadAllImages(page);
  await page.screenshot({ path: artifactPath('home-375.png'), fullPage: true });
  assertNoProblems(problems);
});

test('at 375px the category bar scrolls sideways within itself and every view fits', async () => {
  const { page, problems } = await shop.openPage({ viewport: PHONE, isMobile: true, hasTouch: true });
  await page.goto(`${shop.url}/products`);
  await waitForView(page, 'catalog');

  // The category bar is wider than the phone but scrolls inside its own box.
  const bar = await page.locator('.category-list').evaluate((el) =>
    ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, overflowX: getComputedStyle(el).overflowX }));
  assert.equal(bar.overflowX, 'auto');

  // The last category is reachable and opens its listing.
  const last = page.locator('.category-nav a.category-link').last();
  await last.scrollIntoViewIfNeeded();
  await last.click();
  await page.waitForURL(/\/category\//);
  await waitForView(page, 'category');
  await assertNoHorizontalOverflow(page, 'a category at 375px');

  await page.locator('main .product-card a').first().click();
  await page.waitForURL(/\/product\/\d+$/);
  await waitForView(page, 'product');
  await page.waitForLoadState('networkidle');
  await assertNoHorizontalOverflow(page, 'a product page at 375px');
  await loadAllImages(page);
  await page.screenshot({ path: artifactPath('product-375.png'), fullPage: true });

  await page.goto(`${shop.url}/search?q=${encodeURIComponent('zqxjv nothing')}`);
  await waitForView(page, 'search');
  await assertNoHorizontalOverflow(page, 'an empty search at 375px');
  assertNoProblems(problems);
});

test('the grid shows four columns on a desktop and two on a small tablet', async () => {
  for (const [viewport, columns] of [[{ width: 1280, height: 800 }, 4], [{ width: 600, height: 900 }, 2]]) {
    const { page, problems } = await shop.openPage({ viewport });
    await page.goto(`${shop.url}/products`);
    await waitForView(page, 'catalog');
    assert.equal(await gridColumns(page), columns, `columns at ${viewport.width}px`);
    await assertNoHorizontalOverflow(page, `the grid at ${viewport.width}px`);
    // Cards in a row are the same height, whatever their names' lengths.
    const heights = await page.locator('main .product-card').evaluateAll((cards) =>
      cards.slice(0, 4).map((c) => Math.round(c.getBoundingClientRect().height)));
    assert.equal(new Set(heights.slice(0, columns)).size, 1, `card heights in the first row: ${heights}`);
    assertNoProblems(problems);
  }
});
