// Search from the header box against a seeded shop: results match the search API,
// nonsense says so, and the box keeps the query.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactPath } from '../support/paths.mjs';
import { apiData, formatPrice, loadAllImages, readCards, waitForView } from '../support/storefront.mjs';
import { assertNoProblems, useShop } from '../support/suite.mjs';

const shop = useShop('search', { seed: { products: 60 } });

async function search(page, q) {
  await page.getByRole('searchbox', { name: 'Search products' }).fill(q);
  await page.getByRole('searchbox', { name: 'Search products' }).press('Enter');
  await page.waitForURL((url) => url.pathname === '/search' && url.searchParams.get('q') === q);
  await waitForView(page, 'search');
}

test('searching "electronics" shows the products the search API ranks for it', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/`);
  await waitForView(page, 'catalog');
  await search(page, 'electronics');

  const expected = await apiData(shop, '/api/products/search?q=electronics');
  assert.ok(expected.length > 0, 'the demo catalog has electronics');
  const cards = await readCards(page);
  assert.deepEqual(cards.map((c) => c.id), expected.map((p) => p.id), 'same products, same ranking');
  for (const [i, card] of cards.entries()) {
    assert.equal(card.name, expected[i].name);
    assert.equal(card.price, formatPrice(expected[i].price_cents, expected[i].currency));
  }
  assert.equal((await page.locator('main h1').textContent()).trim(), 'Results for “electronics”');
  assert.equal((await page.locator('.result-count').textContent()).trim(),
    `${expected.length} product${expected.length === 1 ? '' : 's'} found`);
  assert.equal(await page.title(), 'Search: electronics · ShopDesk');
  assert.equal(await page.getByRole('searchbox', { name: 'Search products' }).inputValue(), 'electronics');
  await loadAllImages(page);
  await page.screenshot({ path: artifactPath('search-results.png'), fullPage: true });
  assertNoProblems(problems);
});

test('searching for a product by its name finds that product', async () => {
  const { page, problems } = await shop.openPage();
  const { products } = await apiData(shop, '/api/products?page=2&per_page=10');
  const wanted = products[3];
  await page.goto(`${shop.url}/products`);
  await waitForView(page, 'catalog');
  await search(page, wanted.name);

  const cards = await readCards(page);
  assert.ok(cards.some((c) => c.id === wanted.id), `"${wanted.name}" (id ${wanted.id}) is among the results`);
  const expected = await apiData(shop, `/api/products/search?q=${encodeURIComponent(wanted.name)}`);
  assert.deepEqual(cards.map((c) => c.id), expected.map((p) => p.id));

  // A result leads to its product page.
  await page.locator(`.product-card[data-product-id="${wanted.id}"] a`).click();
  await page.waitForURL(new RegExp(`/product/${wanted.id}$`));
  await waitForView(page, 'product');
  assert.equal((await page.locator('main h1').textContent()).trim(), wanted.name);
  assertNoProblems(problems);
});

test('a search with no match says so', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/`);
  await waitForView(page, 'catalog');
  const q = 'zqxjv nothingmatches';
  assert.deepEqual(await apiData(shop, `/api/products/search?q=${encodeURIComponent(q)}`), []);
  await search(page, q);
  assert.equal(await page.locator('main .product-card').count(), 0);
  await page.locator('.search-empty', { hasText: `No products match “${q}”.` }).waitFor();
  assert.match(await page.locator('#live').textContent(), /No products match/);
  assertNoProblems(problems);
});

test('an empty search box goes nowhere, and /search without a query asks for one', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/products`);
  await waitForView(page, 'catalog');
  await page.getByRole('searchbox', { name: 'Search products' }).fill('   ');
  await page.getByRole('button', { name: 'Search' }).click();
  assert.equal(new URL(page.url()).pathname, '/products');

  await page.goto(`${shop.url}/search`);
  await waitForView(page, 'search');
  assert.equal((await page.locator('main h1').textContent()).trim(), 'Search');
  assert.equal(await page.locator('main .product-card').count(), 0);
  assertNoProblems(problems);
});
