// The storefront shell against an empty shop: served at /, talks to the API, SPA
// fallback, client-side routes, assets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactPath } from '../support/paths.mjs';
import { allow404, waitForView } from '../support/storefront.mjs';
import { assertNoProblems, useShop } from '../support/suite.mjs';

const shop = useShop('storefront');

test('the storefront loads at /, reports the shop open and says the catalog is empty', async () => {
  const { page, problems } = await shop.openPage();
  const response = await page.goto(`${shop.url}/`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^text\/html/);

  assert.equal(await page.locator('.site-header .brand').textContent(), 'ShopDesk');
  await waitForView(page, 'catalog');
  assert.equal(await page.title(), 'ShopDesk');
  assert.equal((await page.locator('main h1').textContent()).trim(), 'Everyday goods, thoughtfully chosen');
  assert.equal((await page.locator('.result-count').textContent()).trim(), '0 products');
  await page.locator('main .empty-state', { hasText: 'No products yet.' }).waitFor();

  // app.js (an ES module) calls /api/health and rewrites the status line.
  const status = page.locator('#status');
  await status.filter({ hasText: 'The shop is open.' }).waitFor();
  assert.equal((await status.textContent()).trim(), 'The shop is open.');
  assert.match(await status.getAttribute('class'), /\bok\b/);
  assertNoProblems(problems);
});

test('an unknown storefront path still renders the app (SPA fallback) with a not-found view', async () => {
  const { page, problems } = await shop.openPage();
  const response = await page.goto(`${shop.url}/no/such/page`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^text\/html/);
  // Absolute asset URLs: the module loads and runs from a nested path too.
  await waitForView(page, 'not-found');
  assert.equal((await page.locator('main h1').textContent()).trim(), 'Page not found');
  assert.equal(await page.title(), 'Page not found · ShopDesk');
  await page.locator('#status', { hasText: 'The shop is open.' }).waitFor();

  // The learning lab's /products/<id> leads to the product page (/product/<id>).
  await page.goto(`${shop.url}/products/42`);
  await page.waitForURL(/\/product\/42$/);
  await waitForView(page, 'not-found');
  assert.equal((await page.locator('main h1').textContent()).trim(), 'Product not found');
  assertNoProblems(problems, 'the page', { allow: [allow404('/api/products/42')] });
});

test('links are followed without reloading the page (client-side routing)', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/`);
  await waitForView(page, 'catalog');
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: 'All products' }).click();
  await page.waitForURL(/\/products$/);
  await waitForView(page, 'catalog');
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the document was reloaded');
  assert.equal(await page.title(), 'All products · ShopDesk');
  // Focus moves to the new view's heading for keyboard and screen reader users.
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
  assertNoProblems(problems);
});

test('/assets/app.js is served with a JavaScript content type', async () => {
  const { page } = await shop.openPage();
  const response = await page.request.get(`${shop.url}/assets/app.js`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^(text|application)\/javascript\b/);
  assert.match(await response.text(), /\bimport\b.*from '\.\/api\.js'/);
});

test('the product illustrations and the placeholder are served as SVG', async () => {
  const { page } = await shop.openPage();
  const slugs = ['electronics', 'clothing', 'home', 'books', 'sports', 'toys', 'beauty', 'garden'];
  for (const path of [...slugs.map((s) => `/assets/img/products/${s}.svg`), '/assets/img/placeholder.svg']) {
    const response = await page.request.get(`${shop.url}${path}`);
    assert.equal(response.status(), 200, path);
    assert.match(response.headers()['content-type'], /^image\/svg\+xml/, path);
    const body = await response.text();
    assert.match(body, /^<svg [^>]*viewBox="0 0 400 300"/, path);
    assert.ok(body.length < 4096, `${path} is small (${body.length} bytes)`);
  }
});

test('home page screenshot (artefact)', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/`);
  await waitForView(page, 'catalog');
  await page.locator('#status', { hasText: 'The shop is open.' }).waitFor();
  await page.screenshot({ path: artifactPath('home.png'), fullPage: true });
  assertNoProblems(problems);
});
