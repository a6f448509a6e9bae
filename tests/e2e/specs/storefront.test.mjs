// The storefront shell: served at /, talks to the API, SPA fallback, assets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactPath } from '../support/paths.mjs';
import { assertNoProblems, useShop } from '../support/suite.mjs';

const shop = useShop('storefront');

test('the storefront loads at / and reports the shop open', async () => {
  const { page, problems } = await shop.openPage();
  const response = await page.goto(`${shop.url}/`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^text\/html/);

  assert.equal(await page.title(), 'ShopDesk');
  assert.equal(await page.locator('.site-header .brand').textContent(), 'ShopDesk');
  assert.equal(await page.locator('main h1').textContent(), 'Welcome to the shop');

  // app.js (an ES module) calls /api/health and rewrites the status line.
  const status = page.locator('#status');
  await status.filter({ hasText: 'The shop is open.' }).waitFor();
  assert.equal((await status.textContent()).trim(), 'The shop is open.');
  assert.match(await status.getAttribute('class'), /\bok\b/);
  assertNoProblems(problems);
});

test('an unknown storefront path still renders the app (SPA fallback)', async () => {
  const { page, problems } = await shop.openPage();
  const response = await page.goto(`${shop.url}/products/42`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^text\/html/);
  assert.equal(await page.title(), 'ShopDesk');
  // Absolute asset URLs: the module loads and runs from a nested path too.
  await page.locator('#status', { hasText: 'The shop is open.' }).waitFor();
  assertNoProblems(problems);
});

test('/assets/app.js is served with a JavaScript content type', async () => {
  const { page } = await shop.openPage();
  const response = await page.request.get(`${shop.url}/assets/app.js`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^(text|application)\/javascript\b/);
  assert.match(await response.text(), /\bimport\b.*from '\.\/api\.js'/);
});

test('home page screenshot (artefact)', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/`);
  await page.locator('#status', { hasText: 'The shop is open.' }).waitFor();
  const path = artifactPath('home.png');
  await page.screenshot({ path, fullPage: true });
  assertNoProblems(problems);
});
