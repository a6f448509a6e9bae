// The product grid against a seeded shop: browsing, pagination, sorting and the
// category navigation, each checked against the API as ground truth.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactPath } from '../support/paths.mjs';
import {
  allow404, apiData, expectedBadge, formatPrice, loadAllImages, readCards, waitForView,
} from '../support/storefront.mjs';
import { assertNoProblems, useShop } from '../support/suite.mjs';

const PRODUCTS = 60;
const PAGE_SIZE = 24;

const shop = useShop('catalog', { seed: { products: PRODUCTS } });

test('the home page shows the first 24 products, their prices and stock, and the total', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/`);
  await waitForView(page, 'catalog');

  const api = await apiData(shop, `/api/products?page=1&per_page=${PAGE_SIZE}`);
  assert.equal(api.pagination.total, PRODUCTS, 'seed-demo --products 60 gives 60 active products');

  const cards = await readCards(page);
  assert.equal(cards.length, PAGE_SIZE);
  assert.deepEqual(cards.map((c) => c.id), api.products.map((p) => p.id), 'cards in the API order');
  for (const [i, card] of cards.entries()) {
    const product = api.products[i];
    assert.equal(card.name, product.name);
    assert.equal(card.href, `/product/${product.id}`);
    assert.equal(card.price, formatPrice(product.price_cents, product.currency), `price of ${product.name}`);
    assert.equal(card.category, product.category ?? 'Uncategorised');
    assert.equal(card.badge, expectedBadge(product.stock), `stock badge of ${product.name} (stock ${product.stock})`);
    assert.equal(card.image, product.image_url || '/assets/img/placeholder.svg');
  }

  assert.equal((await page.locator('.result-count').textContent()).trim(),
    `Showing 1–${PAGE_SIZE} of ${PRODUCTS} products`);
  assert.equal(await page.title(), 'ShopDesk');
  assert.equal(await page.locator('.site-header .brand').textContent(), 'ShopDesk');
  await page.locator('#status', { hasText: 'The shop is open.' }).waitFor();
  // Counts are announced to screen readers.
  assert.match(await page.locator('#live[aria-live="polite"]').textContent(), /Showing 1–24 of 60 products/);
  // The current page is marked in the pagination and the category bar.
  assert.equal(await page.locator('.pagination [aria-current="page"]').textContent(), '1');
  assert.equal(await page.locator('.category-nav [aria-current="page"]').textContent(), 'All products');

  await loadAllImages(page);
  await page.screenshot({ path: artifactPath('catalog-grid.png'), fullPage: true });
  assertNoProblems(problems);
});

test('pagination: page 2 shows the next products, in the URL, and Back returns to page 1', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/products`);
  await waitForView(page, 'catalog');
  const first = await readCards(page);
  assert.equal(await page.title(), 'All products · ShopDesk');

  await page.locator('.pagination a', { hasText: 'Next' }).click();
  await page.waitForURL(/\/products\?page=2$/);
  await waitForView(page, 'catalog');

  const api = await apiData(shop, `/api/products?page=2&per_page=${PAGE_SIZE}`);
  const second = await readCards(page);
  assert.equal(second.length, PAGE_SIZE);
  assert.deepEqual(second.map((c) => c.id), api.products.map((p) => p.id));
  const overlap = second.filter((c) => first.some((f) => f.id === c.id));
  assert.deepEqual(overlap, [], 'page 2 repeats products of page 1');
  assert.equal((await page.locator('.result-count').textContent()).trim(), `Showing 25–48 of ${PRODUCTS} products`);
  assert.equal(await page.locator('.pagination [aria-current="page"]').textContent(), '2');
  assert.equal(await page.title(), 'All products – Page 2 · ShopDesk');

  // The last page, by its number: the remaining 12.
  await page.locator('.pagination a[aria-label="Page 3"]').click();
  await page.waitForURL(/\/products\?page=3$/);
  await waitForView(page, 'catalog');
  assert.equal((await readCards(page)).length, PRODUCTS - 2 * PAGE_SIZE);
  assert.equal(await page.locator('.pagination .page-next').getAttribute('aria-disabled'), 'true');

  await page.goBack();
  await page.waitForURL(/\/products\?page=2$/);
  await waitForView(page, 'catalog');
  await page.goBack();
  await page.waitForURL(/\/products$/);
  await waitForView(page, 'catalog');
  assert.deepEqual((await readCards(page)).map((c) => c.id), first.map((c) => c.id));

  // A page number typed into the address bar works as well...
  await page.goto(`${shop.url}/products?page=2`);
  await waitForView(page, 'catalog');
  assert.deepEqual((await readCards(page)).map((c) => c.id), api.products.map((p) => p.id));
  // ...and one past the end says so and leads back to the first page.
  await page.goto(`${shop.url}/products?page=99`);
  await waitForView(page, 'catalog');
  assert.equal(await page.locator('main .product-card').count(), 0);
  await page.locator('main .empty-state', { hasText: 'There is nothing on page 99.' }).waitFor();
  await page.getByRole('link', { name: 'Go to the first page' }).click();
  await page.waitForURL(/\/products$/);
  await waitForView(page, 'catalog');
  assert.equal(await page.locator('main .product-card').count(), PAGE_SIZE);
  assertNoProblems(problems);
});

test('sort by price: prices never go down, across pages, and the URL keeps the sort', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/products`);
  await waitForView(page, 'catalog');

  await page.getByLabel('Sort by').selectOption({ label: 'Price: low to high' });
  await page.waitForURL(/\/products\?sort=price$/);
  await waitForView(page, 'catalog');
  assert.equal(await page.locator('#sort').evaluate((el) => el === document.activeElement), true,
    'focus stays on the sort control');

  const api = await apiData(shop, `/api/products?page=1&per_page=${PAGE_SIZE}&sort=price`);
  const page1 = await readCards(page);
  assert.deepEqual(page1.map((c) => c.id), api.products.map((p) => p.id));
  assertNonDecreasing(page1.map((c) => c.priceCents), 'page 1');
  for (const card of page1) assert.equal(card.price, formatPrice(card.priceCents));

  await page.locator('.pagination a', { hasText: 'Next' }).click();
  await page.waitForURL((url) => url.searchParams.get('page') === '2' && url.searchParams.get('sort') === 'price');
  await waitForView(page, 'catalog');
  const page2 = await readCards(page);
  assertNonDecreasing([...page1, ...page2].map((c) => c.priceCents), 'pages 1 and 2');
  assert.equal(await page.locator('#sort').inputValue(), 'price');

  // And the other way round, from a URL.
  await page.goto(`${shop.url}/products?sort=price_desc`);
  await waitForView(page, 'catalog');
  const desc = (await readCards(page)).map((c) => c.priceCents);
  assertNonDecreasing([...desc].reverse(), 'price_desc reversed');
  assert.equal(await page.locator('#sort').inputValue(), 'price_desc');

  // Back to "Featured": the sort leaves the URL.
  await page.getByLabel('Sort by').selectOption({ label: 'Featured' });
  await page.waitForURL(/\/products$/);
  await waitForView(page, 'catalog');
  assertNoProblems(problems);
});

test('category navigation: /category/<slug> shows only that category, as the API says', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/`);
  await waitForView(page, 'catalog');

  const categories = await apiData(shop, '/api/categories');
  assert.ok(categories.length >= 2, 'seed-demo creates categories');
  // The category bar lists every category with its count.
  const nav = await page.locator('.category-nav a.category-link[data-slug]:not([data-slug=""])').evaluateAll((links) =>
    links.map((a) => ({ slug: a.dataset.slug, name: a.querySelector('.category-name').textContent, count: a.querySelector('.category-count').textContent.replace(/\D/g, '') })));
  assert.deepEqual(nav, categories.map((c) => ({ slug: c.slug, name: c.name, count: String(c.product_count) })));

  const category = [...categories].sort((a, b) => b.product_count - a.product_count)[0];
  assert.ok(category.product_count > 0);
  await page.locator(`.category-nav a[data-slug="${category.slug}"]`).click();
  await page.waitForURL(new RegExp(`/category/${category.slug}$`));
  await waitForView(page, 'category');

  assert.equal((await page.locator('main h1').textContent()).trim(), category.name);
  assert.equal(await page.title(), `${category.name} · ShopDesk`);
  assert.equal(await page.locator(`.category-nav a[data-slug="${category.slug}"]`).getAttribute('aria-current'), 'page');
  const shown = Math.min(category.product_count, PAGE_SIZE);
  assert.equal((await page.locator('.result-count').textContent()).trim(),
    `Showing 1–${shown} of ${category.product_count} product${category.product_count === 1 ? '' : 's'}`);

  const cards = await readCards(page);
  assert.equal(cards.length, shown);
  for (const card of cards) {
    const product = await apiData(shop, `/api/products/${card.id}`);
    assert.equal(product.category_slug, category.slug, `${product.name} is in ${product.category_slug}`);
    assert.equal(card.category, category.name);
    assert.equal(card.categorySlug, category.slug);
  }
  assertNoProblems(problems);
});

test('an unknown category shows a not-found page', async () => {
  const { page, problems } = await shop.openPage();
  const response = await page.goto(`${shop.url}/category/no-such-category`);
  assert.equal(response.status(), 200); // the SPA shell; the API answers 404
  await waitForView(page, 'not-found');
  assert.equal((await page.locator('main h1').textContent()).trim(), 'Category not found');
  assert.equal(await page.title(), 'Category not found · ShopDesk');
  assertNoProblems(problems, 'the page', { allow: [allow404('/api/products')] });
});

test('an API error is shown in a banner with its message, and Try again recovers', async () => {
  const { page, problems } = await shop.openPage();
  // The API refuses a page size beyond 100 with INVALID_REQUEST: make the catalog ask
  // for one by rewriting its request, and see the message reach the reader.
  let broken = true;
  await page.route('**/api/products?*', (route) => {
    if (!broken) return route.continue();
    const url = new URL(route.request().url());
    url.searchParams.set('per_page', '1000');
    return route.continue({ url: url.toString() });
  });
  await page.goto(`${shop.url}/products`);
  await waitForView(page, 'error');
  const banner = page.locator('[role="alert"].banner');
  await banner.waitFor();
  const expected = await fetch(`${shop.url}/api/products?per_page=1000`).then((r) => r.json());
  assert.equal(expected.success, false);
  assert.equal(expected.error.code, 'INVALID_REQUEST');
  assert.equal((await banner.locator('.banner-message').textContent()).trim(), expected.error.message);

  broken = false;
  await banner.getByRole('button', { name: 'Try again' }).click();
  await waitForView(page, 'catalog');
  assert.equal(await page.locator('main .product-card').count(), PAGE_SIZE);
  assertNoProblems(problems, 'the page', { allow: [/status of 400/] });
});

function assertNonDecreasing(values, what) {
  for (let i = 1; i < values.length; i += 1) {
    assert.ok(values[i - 1] <= values[i], `${what}: price ${values[i - 1]} comes before ${values[i]} (at ${i})`);
  }
}
