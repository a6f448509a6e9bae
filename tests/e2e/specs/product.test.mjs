// The product page against a seeded shop: reached from the grid, showing what
// GET /api/products/{id} says; the placeholder image; unknown ids.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactPath } from '../support/paths.mjs';
import { allow404, apiData, formatPrice, loadAllImages, waitForView } from '../support/storefront.mjs';
import { assertNoProblems, useShop } from '../support/suite.mjs';

const shop = useShop('product', { seed: { products: 60 } });

test('clicking a card opens /product/<id> with the name, price and description of the API', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/`);
  await waitForView(page, 'catalog');

  const card = page.locator('main .product-card').nth(4);
  const id = Number(await card.getAttribute('data-product-id'));
  await card.locator('a').click();
  await page.waitForURL(new RegExp(`/product/${id}$`));
  await waitForView(page, 'product');

  const product = await apiData(shop, `/api/products/${id}`);
  assert.equal((await page.locator('main h1').textContent()).trim(), product.name);
  assert.equal(await page.title(), `${product.name} · ShopDesk`);
  assert.equal((await page.locator('.detail-price').textContent()).trim(), formatPrice(product.price_cents, product.currency));
  const description = (await page.locator('.detail-description').innerText()).replace(/\s+/g, ' ').trim();
  assert.equal(description, product.description.replace(/\s+/g, ' ').trim() || 'No description yet.');
  assert.equal((await page.locator('.detail-sku').textContent()).trim(), product.sku);
  assert.equal(await page.locator('.detail-image').getAttribute('alt'), product.name);
  assert.equal(await page.locator('.detail-image').getAttribute('src'), product.image_url || '/assets/img/placeholder.svg');
  const stock = (await page.locator('.detail-stock').textContent()).trim();
  if (product.stock <= 0) assert.equal(stock, 'Out of stock');
  else if (product.stock <= 5) assert.equal(stock, `Only ${product.stock} left in stock`);
  else assert.equal(stock, 'In stock');
  const add = page.locator('.detail-actions').getByRole('button', { name: product.stock > 0 ? 'Add to cart' : 'Out of stock', exact: true });
  assert.equal(await add.isDisabled(), product.stock <= 0);

  // Breadcrumb: Home / <category> / <name>; the category link leads to its listing.
  const crumbs = await page.locator('nav.breadcrumb li').allTextContents();
  assert.deepEqual(crumbs.map((t) => t.trim()), ['Home', product.category, product.name]);
  assert.equal(await page.locator('nav.breadcrumb [aria-current="page"]').textContent(), product.name);

  // "More in <category>" lists other products of the same category.
  await page.locator('.related .product-card').first().waitFor();
  const related = await page.locator('.related .product-card').evaluateAll((cards) =>
    cards.map((c) => ({ id: Number(c.dataset.productId), slug: c.dataset.categorySlug })));
  assert.ok(related.length > 0 && related.length <= 4);
  for (const r of related) {
    assert.notEqual(r.id, product.id);
    assert.equal(r.slug, product.category_slug);
  }

  await page.waitForLoadState('networkidle');
  await loadAllImages(page);
  await page.screenshot({ path: artifactPath('product-detail.png'), fullPage: true });

  await page.locator('nav.breadcrumb a', { hasText: product.category }).click();
  await page.waitForURL(new RegExp(`/category/${product.category_slug}$`));
  await waitForView(page, 'category');

  // Back returns to the product.
  await page.goBack();
  await page.waitForURL(new RegExp(`/product/${id}$`));
  await waitForView(page, 'product');
  assert.equal((await page.locator('main h1').textContent()).trim(), product.name);
  assertNoProblems(problems);
});

test('a product without an image shows the placeholder picture', async (t) => {
  const { products } = await apiData(shop, '/api/products?page=1&per_page=100');
  const bare = products.find((p) => !p.image_url);
  if (!bare) {
    t.skip('the demo catalog has no product without an image this time');
    return;
  }
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/product/${bare.id}`);
  await waitForView(page, 'product');
  const img = page.locator('.detail-image');
  assert.equal(await img.getAttribute('src'), '/assets/img/placeholder.svg');
  await loadAllImages(page);
  assert.ok(await img.evaluate((el) => el.naturalWidth > 0), 'the placeholder loads');
  assertNoProblems(problems);
});

test('an image that fails to load is replaced by the placeholder', async () => {
  const { page, problems } = await shop.openPage();
  const { products } = await apiData(shop, '/api/products?page=1&per_page=5');
  const product = products.find((p) => p.image_url) || products[0];
  await page.route('**/api/products/*', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.data.image_url = '/assets/img/products/missing-picture.svg';
    await route.fulfill({ response, json: body });
  });
  await page.goto(`${shop.url}/product/${product.id}`);
  await waitForView(page, 'product');
  await page.waitForFunction(() => document.querySelector('.detail-image').getAttribute('src').endsWith('/placeholder.svg'));
  assertNoProblems(problems, 'the page', { allow: [allow404('/assets/img/products/missing-picture.svg')] });
});

test('an unknown product id shows "Product not found"', async () => {
  const { page, problems } = await shop.openPage();
  for (const path of ['/product/987654321', '/product/not-a-number']) {
    const response = await page.goto(`${shop.url}${path}`);
    assert.equal(response.status(), 200);
    await waitForView(page, 'not-found');
    assert.equal((await page.locator('main h1').textContent()).trim(), 'Product not found');
    assert.equal(await page.title(), 'Product not found · ShopDesk');
    await page.getByRole('link', { name: 'Browse all products' }).waitFor();
  }
  assertNoProblems(problems, 'the page', { allow: [allow404('/api/products/987654321')] });
});
