// The shopper's journey with the manual payment provider: browse, add to the cart as a
// guest, change the cart, check out (sign-in first: the guest cart joins the account),
// the address checked by the server, the order placed, its confirmation with the
// payment instructions, "My orders" and the order's timeline — and the admin API as
// ground truth for the lines, the total and the stock taken. Also: more than the stock,
// a line the stock no longer covers (fixed from the cart, at 375 px), cancelling a
// pending order, and a retried "Place order" that still makes one order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newCustomer } from '../support/accounts.mjs';
import {
  adjustStock, adminOrder, adminOrders, callData, createAdmin, createCatalog, signIn,
} from '../support/orders.mjs';
import { artifactPath } from '../support/paths.mjs';
import { assertNoHorizontalOverflow, formatPrice, loadAllImages, waitForView } from '../support/storefront.mjs';
import { assertNoProblems, useShop } from '../support/suite.mjs';

const INSTRUCTIONS = 'Pay by bank transfer to IBAN DE02 1001 0010 0123 4567 89 (ShopDesk GmbH), quoting your order number.';

const shop = useShop('checkout', { args: ['--payment-instructions', INSTRUCTIONS, '--bcrypt-cost', '10'] });

const PHONE = { width: 375, height: 740 };

// The browser's console line for an answer a test provoked on purpose.
const allowStatus = (status, path) => new RegExp(`status of ${status} .*${path}`);

let adminToken;
const products = {};

// The administrator and the kitchen catalog, made once through the admin API before
// the first test uses them (a top-level before() may run before useShop's own has
// started the shop).
let setUp = null;
function catalog() {
  if (!setUp) {
    setUp = (async () => {
      const admin = await createAdmin(shop.server);
      adminToken = await signIn(shop, admin);
      const { products: created } = await createCatalog(shop, adminToken, {
        category: { slug: 'kitchen', name: 'Kitchen', description: 'Pots, mugs and everything for the table.' },
        products: [
          { sku: 'E2E-KETTLE', name: 'Enamel Kettle', price_cents: 3450, stock: 6 },
          { sku: 'E2E-MUG', name: 'Stoneware Mug', price_cents: 1250, stock: 10 },
          { sku: 'E2E-TOWEL', name: 'Linen Tea Towel', price_cents: 899, stock: 4 },
          { sku: 'E2E-LADLE', name: 'Copper Ladle', price_cents: 2199, stock: 2 },
          { sku: 'E2E-BOARD', name: 'Walnut Board', price_cents: 4500, stock: 5 },
        ],
      });
      for (const p of created) products[p.sku.slice(4).toLowerCase()] = p;
      return products;
    })();
  }
  return setUp;
}

async function stockOf(product) {
  return (await callData(shop, 'GET', `/api/products/${product.id}`)).stock;
}

async function cartCount(page, count) {
  await page.locator(`#cart-link[data-count="${count}"]`).waitFor();
}

async function cartTotal(page, cents) {
  await page.locator(`.cart-total[data-total-cents="${cents}"]`).waitFor();
  assert.equal((await page.locator('.cart-total').textContent()).trim(), formatPrice(cents));
}

// The browser-side line of the cart page for a product.
function cartLine(page, product) {
  return page.locator(`.cart-line[data-product-id="${product.id}"]`);
}

async function register(page, customer) {
  await page.getByLabel('First name').fill(customer.first_name);
  await page.getByLabel('Last name').fill(customer.last_name);
  await page.getByLabel('Email').fill(customer.email);
  await page.getByLabel('Password').fill(customer.password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

async function fillAddress(page, { line1 = '12 Analytical Row' } = {}) {
  await page.getByLabel('Address line 1').fill(line1);
  await page.getByLabel('City').fill('London');
  await page.getByLabel('Postal code').fill('EC1A 1BB');
  await page.getByLabel('Country').selectOption('GB');
  await page.getByLabel('Phone').fill('+44 20 7946 0000');
}

async function addFromProductPage(page, product, quantity) {
  await page.goto(`${shop.url}/product/${product.id}`);
  await waitForView(page, 'product');
  const form = page.locator('.detail-actions form.add-to-cart');
  await form.getByLabel('Quantity', { exact: true }).fill(String(quantity));
  await form.getByRole('button', { name: 'Add to cart' }).click();
  return form;
}

test('the whole journey: browse, cart as a guest, sign up at checkout, place the order, follow it', async () => {
  const { page, problems } = await shop.openPage();
  const { kettle, mug, towel } = await catalog();

  // Browse: the home page, then the category, then a product.
  await page.goto(`${shop.url}/`);
  await waitForView(page, 'catalog');
  await cartCount(page, 0);
  assert.equal(await page.locator('#cart-link .cart-count').isHidden(), true, 'no badge for an empty cart');
  await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: /Kitchen/ }).click();
  await waitForView(page, 'category');
  await page.locator(`.product-card[data-product-id="${kettle.id}"] a.card-link`).click();
  await waitForView(page, 'product');
  assert.equal((await page.locator('main h1').textContent()).trim(), kettle.name);

  // Two kettles from the product page, with the quantity.
  const form = page.locator('.detail-actions form.add-to-cart');
  const quantity = form.getByLabel('Quantity', { exact: true });
  assert.equal(await quantity.inputValue(), '1');
  await form.getByRole('button', { name: 'Increase the quantity of Enamel Kettle' }).click();
  assert.equal(await quantity.inputValue(), '2');
  await form.getByRole('button', { name: 'Add to cart' }).click();
  await form.locator('.add-status', { hasText: 'Added to your cart' }).waitFor();
  await cartCount(page, 2);
  assert.equal((await page.locator('#cart-link').getAttribute('aria-label')), 'Cart, 2 items');
  // The guest cart is named by a token the server made; nothing else is stored.
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), ['shopdesk_cart_token']);

  // A mug and a tea towel from the grid cards.
  await page.goBack();
  await waitForView(page, 'category');
  for (const product of [mug, towel]) {
    const card = page.locator(`.product-card[data-product-id="${product.id}"]`);
    await card.getByRole('button', { name: `Add to cart: ${product.name}` }).click();
    await card.locator('.add-status', { hasText: 'Added' }).waitFor();
  }
  await cartCount(page, 4);

  // The cart: three lines and their total.
  await page.locator('#cart-link').click();
  await waitForView(page, 'cart');
  assert.equal(await page.locator('.cart-line').count(), 3);
  for (const [product, qty] of [[kettle, 2], [mug, 1], [towel, 1]]) {
    const line = cartLine(page, product);
    assert.equal((await line.locator('.cart-line-name').textContent()).trim(), product.name);
    assert.equal(await line.getByLabel('Quantity', { exact: true }).inputValue(), String(qty));
    assert.equal((await line.locator('.cart-line-total').textContent()).replace('Line total: ', '').trim(),
      formatPrice(product.price_cents * qty));
  }
  await cartTotal(page, 2 * 3450 + 1250 + 899);
  await loadAllImages(page);
  await page.screenshot({ path: artifactPath('checkout-cart.png'), fullPage: true });

  // Three mugs (the stepper, twice), and no tea towel.
  const mugLine = cartLine(page, mug);
  await mugLine.getByRole('button', { name: 'Increase the quantity of Stoneware Mug' }).click();
  await cartTotal(page, 2 * 3450 + 2 * 1250 + 899);
  await mugLine.getByRole('button', { name: 'Increase the quantity of Stoneware Mug' }).click();
  await cartTotal(page, 2 * 3450 + 3 * 1250 + 899);
  // Focus stayed on the + button through the redraws.
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Increase the quantity of Stoneware Mug');
  await cartLine(page, towel).getByRole('button', { name: `Remove ${towel.name}` }).click();
  await cartLine(page, towel).waitFor({ state: 'detached' });
  const total = 2 * 3450 + 3 * 1250;
  await cartTotal(page, total);
  await cartCount(page, 5);

  // Checkout needs an account: sign-in page (with a word why), then registration,
  // then back at checkout with the guest cart merged into the new account's.
  await page.getByRole('link', { name: 'Check out' }).click();
  await page.waitForURL(/\/account\/login\?next=%2Fcheckout|\/account\/login\?next=\/checkout/);
  await waitForView(page, 'login');
  await page.locator('main .banner-notice', { hasText: 'Your cart comes with you' }).waitFor();
  await page.getByRole('link', { name: 'Create an account' }).click();
  await waitForView(page, 'register');
  const customer = newCustomer('journey');
  await register(page, customer);
  await page.waitForURL(/\/checkout$/);
  await waitForView(page, 'checkout');
  const review = await page.locator('.review-line').evaluateAll((lines) => lines.map((l) => [
    Number(l.dataset.productId), l.querySelector('.review-qty').textContent, l.querySelector('.review-name').textContent,
    l.querySelector('.review-price').textContent,
  ]));
  assert.deepEqual(review.sort((a, b) => a[0] - b[0]), [
    [kettle.id, '2 ×', kettle.name, formatPrice(6900)],
    [mug.id, '3 ×', mug.name, formatPrice(3750)],
  ].sort((a, b) => a[0] - b[0]));
  assert.equal((await page.locator('.checkout-total').textContent()).trim(), formatPrice(total));
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), [], 'the guest cart token is forgotten after the merge');
  await cartCount(page, 5);
  // The account's name and email are filled in.
  assert.equal(await page.getByLabel('Full name').inputValue(), `${customer.first_name} ${customer.last_name}`);
  assert.equal(await page.getByLabel('Email for the order confirmation').inputValue(), customer.email);

  // First try without the street: the server's message next to the field, and the
  // error summary takes the focus.
  await fillAddress(page, { line1: '' });
  await page.getByRole('button', { name: 'Place order' }).click();
  const summary = page.locator('.error-summary');
  await summary.waitFor();
  assert.equal(await summary.evaluate((el) => el === document.activeElement), true, 'focus on the error summary');
  const line1 = page.getByLabel('Address line 1');
  assert.equal(await line1.getAttribute('aria-invalid'), 'true');
  const line1Error = page.locator('.field[data-field="shipping_address.line1"] .field-error');
  assert.equal((await line1Error.textContent()).trim(), 'Required');
  assert.match(await line1.getAttribute('aria-describedby'), new RegExp(await line1Error.getAttribute('id')));
  await summary.getByRole('link', { name: /Address line 1/ }).click();
  assert.equal(await line1.evaluate((el) => el === document.activeElement), true, 'the summary link focuses the field');
  await page.evaluate(() => window.scrollTo(0, 0)); // the order summary is sticky
  await page.screenshot({ path: artifactPath('checkout-form.png'), fullPage: true });

  // Now with the street: the order is placed.
  await line1.fill('12 Analytical Row');
  const placed = page.waitForResponse((r) => r.url().endsWith('/api/orders') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Place order' }).click();
  const response = await placed;
  assert.equal(response.status(), 201);
  assert.match(response.request().headers()['idempotency-key'], /^[0-9a-f-]{36}$/);
  const order = (await response.json()).data;
  await page.waitForURL(new RegExp(`/orders/${order.id}/confirmation$`));
  await waitForView(page, 'order-confirmation');

  // Confirmation: number, total, how to pay, the way to My orders.
  assert.match(order.number, /^SD-\d{6}$/);
  assert.equal((await page.locator('main h1 .order-number').textContent()).trim(), order.number);
  assert.equal((await page.locator('.confirmation-page .order-total').textContent()).trim(), formatPrice(total));
  const payment = page.locator('.payment-panel[data-provider="manual"]');
  assert.equal((await payment.locator('.payment-instructions').textContent()).trim(), INSTRUCTIONS);
  assert.equal((await payment.locator('.payment-amount').textContent()).trim(), formatPrice(total));
  assert.equal((await payment.locator('.payment-reference').textContent()).trim(), order.number);
  await cartCount(page, 0);
  await page.screenshot({ path: artifactPath('checkout-confirmation.png'), fullPage: true });

  // My orders: the order, pending payment.
  await page.getByRole('link', { name: 'My orders' }).first().click();
  await waitForView(page, 'orders');
  const row = page.locator(`.order-row[data-order-id="${order.id}"]`);
  assert.equal((await row.locator('.order-link').textContent()).trim(), order.number);
  assert.equal((await row.locator('.status-badge').textContent()).trim(), 'Pending payment');
  assert.equal((await row.locator('.order-row-total').textContent()).trim(), formatPrice(total));
  assert.equal(await row.locator('time').getAttribute('datetime'), new Date(order.created_at).toISOString());
  await page.screenshot({ path: artifactPath('orders-list.png'), fullPage: true });

  // The order: lines, address, the timeline, and the way to cancel.
  await row.locator('.order-link').click();
  await waitForView(page, 'order');
  assert.equal((await page.locator('.order-page .status-badge').first().textContent()).trim(), 'Pending payment');
  assert.equal(await page.locator('.order-line').count(), 2);
  assert.equal((await page.locator('.order-lines .order-total').textContent()).trim(), formatPrice(total));
  assert.match(await page.locator('.order-address').innerText(), /12 Analytical Row[\s\S]*EC1A 1BB London[\s\S]*United Kingdom/);
  const events = page.locator('.timeline-item');
  assert.ok(await events.count() >= 1);
  assert.equal((await events.first().locator('.timeline-title').textContent()).trim(), 'Order placed · Pending payment');
  await page.getByRole('button', { name: 'Cancel order' }).waitFor();
  await page.locator('.payment-panel[data-provider="manual"]').waitFor();
  await page.screenshot({ path: artifactPath('order-detail.png'), fullPage: true });

  // The admin API agrees: the lines, the total, the customer, and the stock taken.
  const stored = await adminOrder(shop, adminToken, order.id);
  assert.equal(stored.status, 'pending_payment');
  assert.equal(stored.payment_provider, 'manual');
  assert.equal(stored.total_cents, total);
  assert.equal(stored.email, customer.email);
  assert.equal(stored.shipping_address.line1, '12 Analytical Row');
  assert.equal(stored.shipping_address.country, 'GB');
  assert.deepEqual(stored.items.map((i) => [i.product_id, i.quantity, i.price_cents, i.subtotal_cents]).sort((a, b) => a[0] - b[0]),
    [[kettle.id, 2, 3450, 6900], [mug.id, 3, 1250, 3750]].sort((a, b) => a[0] - b[0]));
  assert.ok(stored.legal_actions.includes('mark_paid'));
  assert.equal(await stockOf(kettle), 6 - 2);
  assert.equal(await stockOf(mug), 10 - 3);
  assert.equal(await stockOf(towel), 4, 'the removed line took no stock');

  assertNoProblems(problems, 'the journey', {
    allow: [allowStatus(422, '/api/orders')],
  });
});

test('more than the stock: the add is refused with how many there are; a short line is fixed from the cart at 375px', async () => {
  const { page, problems } = await shop.openPage({ viewport: PHONE, isMobile: true, hasTouch: true });
  const { ladle } = await catalog(); // 2 in stock

  const form = await addFromProductPage(page, ladle, 3);
  const error = form.locator('.add-error');
  await error.waitFor();
  assert.equal((await error.textContent()).trim(), 'Only 2 of Copper Ladle in stock');
  assert.equal(await form.getByLabel('Quantity', { exact: true }).getAttribute('aria-invalid'), 'true');
  await cartCount(page, 0);

  // Two fit; a third does not, and the message says what is in the cart already.
  await form.getByLabel('Quantity', { exact: true }).fill('2');
  await form.getByRole('button', { name: 'Add to cart' }).click();
  await form.locator('.add-status', { hasText: 'Added to your cart' }).waitFor();
  await cartCount(page, 2);
  await form.getByRole('button', { name: 'Add to cart' }).click();
  await error.filter({ hasText: 'you already have 2 in your cart' }).waitFor();
  await cartCount(page, 2);

  // The shop sells one elsewhere: the cart flags the line and blocks checkout...
  await adjustStock(shop, adminToken, ladle.id, -1, 'damage');
  await page.goto(`${shop.url}/cart`);
  await waitForView(page, 'cart');
  const line = cartLine(page, ladle);
  assert.equal(await line.getAttribute('data-problem'), 'short');
  assert.match(await line.locator('.cart-line-problem').textContent(), /Only 1 left in stock/);
  await page.locator('.cart-warning', { hasText: 'needs your attention' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Check out' }).isDisabled(), true);
  await assertNoHorizontalOverflow(page, 'the cart at 375px');
  await loadAllImages(page);
  await page.screenshot({ path: artifactPath('cart-375.png'), fullPage: true });

  // ...until the shopper takes the fix it offers.
  await line.getByRole('button', { name: 'Change to 1' }).click();
  await page.locator(`.cart-line[data-product-id="${ladle.id}"][data-problem=""]`).waitFor();
  assert.equal(await line.getByLabel('Quantity', { exact: true }).inputValue(), '1');
  await cartTotal(page, 2199);
  await page.getByRole('link', { name: 'Check out' }).waitFor();
  assert.equal(await page.locator('.cart-warning').count(), 0);
  await cartCount(page, 1);
  await assertNoHorizontalOverflow(page, 'the fixed cart at 375px');

  // Removing the last line leaves the empty cart.
  await line.getByRole('button', { name: `Remove ${ladle.name}` }).click();
  await page.locator('.cart-empty', { hasText: 'Your cart is empty.' }).waitFor();
  await cartCount(page, 0);
  assertNoProblems(problems, 'the cart', { allow: [allowStatus(409, '/api/cart')] });
});

test('a retried "Place order" makes one order, and the shopper can cancel it while it waits for payment (375px)', async () => {
  const { page, problems } = await shop.openPage({ viewport: PHONE, isMobile: true, hasTouch: true });
  const { board } = await catalog(); // 5 in stock

  // Signed in first this time (registration from the header), then shopping.
  const customer = newCustomer('cancel');
  await page.goto(`${shop.url}/account/register`);
  await waitForView(page, 'register');
  // Signing in reads the account's cart (for the header); let that finish before
  // leaving the page, or the browser cancels it.
  const cartRead = page.waitForResponse((r) => r.url().endsWith('/api/cart') && r.request().method() === 'GET');
  await register(page, customer);
  await waitForView(page, 'account');
  await cartRead;
  await addFromProductPage(page, board, 1);
  await cartCount(page, 1);
  await page.goto(`${shop.url}/checkout`);
  await waitForView(page, 'checkout');
  await assertNoHorizontalOverflow(page, 'checkout at 375px');
  await fillAddress(page);

  // The first answer never reaches the browser (the order is made, the connection
  // drops): the page says so, and pressing again sends the same Idempotency-Key.
  const keys = [];
  let dropped = false;
  await page.route('**/api/orders', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    if (dropped) return route.continue();
    dropped = true;
    await route.fetch(); // the server does the work...
    return route.abort('connectionreset'); // ...and the answer is lost
  });
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.locator('.error-summary', { hasText: 'will not be placed twice' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Place order' }).isEnabled(), true);
  await page.getByRole('button', { name: 'Place order' }).dblclick();
  await waitForView(page, 'order-confirmation');
  await assertNoHorizontalOverflow(page, 'the confirmation at 375px');
  await page.unroute('**/api/orders');
  assert.equal(keys.length, 2, 'the double click sent one request (the button is disabled while it runs)');
  assert.equal(keys[0], keys[1], 'the retry reused the Idempotency-Key');
  const mine = await adminOrders(shop, adminToken, `?q=${encodeURIComponent(customer.email)}`);
  assert.equal(mine.orders.length, 1, 'one order, however often it was sent');
  const orderId = mine.orders[0].id;
  assert.equal(await stockOf(board), 4);

  // Cancel it from its page, with a reason.
  await page.getByRole('link', { name: 'View this order' }).click();
  await waitForView(page, 'order');
  await page.getByRole('button', { name: 'Cancel order' }).click();
  await page.getByLabel('Why are you cancelling?').fill('Ordered the wrong size');
  await page.getByRole('button', { name: 'Yes, cancel the order' }).click();
  await page.locator('.order-page[data-status="cancelled"]').waitFor();
  assert.equal((await page.locator('.order-head .status-badge').textContent()).trim(), 'Cancelled');
  assert.equal(await page.getByRole('button', { name: 'Cancel order' }).count(), 0);
  const last = page.locator('.timeline-item').last();
  assert.equal((await last.locator('.timeline-title').textContent()).trim(), 'Cancelled');
  assert.match(await last.locator('.timeline-note').textContent(), /Ordered the wrong size/);
  assert.equal(await page.locator('.payment-panel').count(), 0, 'nothing to pay for a cancelled order');
  await assertNoHorizontalOverflow(page, 'an order at 375px');
  await page.screenshot({ path: artifactPath('order-cancelled-375.png'), fullPage: true });

  // The list says so too, and the admin API and the stock agree.
  await page.getByRole('link', { name: 'My orders' }).first().click();
  await waitForView(page, 'orders');
  assert.equal((await page.locator(`.order-row[data-order-id="${orderId}"] .status-badge`).textContent()).trim(), 'Cancelled');
  await assertNoHorizontalOverflow(page, 'My orders at 375px');
  const stored = await adminOrder(shop, adminToken, orderId);
  assert.equal(stored.status, 'cancelled');
  assert.equal(await stockOf(board), 5, 'the stock came back');

  assertNoProblems(problems, 'cancelling', {
    allow: [/net::ERR_CONNECTION_RESET|net::ERR_FAILED/, /POST .*\/api\/orders: net::ERR_CONNECTION_RESET/],
  });
});
