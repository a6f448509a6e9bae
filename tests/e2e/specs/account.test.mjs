// Customer accounts in the storefront: registration, the session kept across reloads
// by the HttpOnly refresh cookie (the access token only in memory), sign-out, sign-in
// errors, forgotten password through the mailed link, email verification, and
// two-factor sign-in set up with a QR code and a TOTP computed here (RFC 6238).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshTotp, mailedLink, newCustomer, totpAfter } from '../support/accounts.mjs';
import { artifactPath } from '../support/paths.mjs';
import { waitForView } from '../support/storefront.mjs';
import { assertNoProblems, useShop } from '../support/suite.mjs';

const shop = useShop('account');

// The browser's console line for a 4xx answer a test provoked on purpose (a wrong
// password, a too-short password, the two-factor step).
const allowStatus = (status, path) => new RegExp(`status of ${status} .*${path}`);

async function signedIn(page, firstName) {
  await page.locator('#account-slot[data-auth="signed-in"]').waitFor();
  assert.equal((await page.locator('#account-slot .account-name').textContent()).trim(), firstName);
}

async function signedOut(page) {
  await page.locator('#account-slot[data-auth="signed-out"]').waitFor();
  await page.locator('#account-slot').getByRole('link', { name: 'Sign in' }).waitFor();
}

async function register(page, customer) {
  await page.goto(`${shop.url}/account/register`);
  await waitForView(page, 'register');
  await page.getByLabel('First name').fill(customer.first_name);
  await page.getByLabel('Last name').fill(customer.last_name);
  await page.getByLabel('Email').fill(customer.email);
  await page.getByLabel('Password').fill(customer.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/account$/);
  await waitForView(page, 'account');
}

async function fillLogin(page, email, password) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signOutFromMenu(page) {
  await page.locator('#account-slot .account-toggle').click();
  await page.locator('#account-menu').getByRole('button', { name: 'Sign out' }).click();
  await signedOut(page);
}

async function storage(page) {
  return page.evaluate(() => ({
    local: Object.fromEntries(Object.entries(localStorage)),
    session: Object.fromEntries(Object.entries(sessionStorage)),
  }));
}

test('register: signed in at once, kept across a reload by the cookie alone, then signed out for good', async () => {
  const { page, problems, context } = await shop.openPage();
  const customer = newCustomer('register');
  await register(page, customer);
  await signedIn(page, customer.first_name);
  assert.equal((await page.locator('main h1').textContent()).trim(), 'Your account');
  assert.equal((await page.locator('.account-email-value').textContent()).trim(), customer.email);
  assert.equal(await page.locator('.verified-badge').getAttribute('data-verified'), 'false');

  // The refresh token is an HttpOnly cookie for /api/auth only.
  const refresh = (await context.cookies()).find((c) => c.name === 'shopdesk_refresh');
  assert.ok(refresh, 'no shopdesk_refresh cookie');
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.sameSite, 'Strict');
  assert.equal(refresh.path, '/api/auth');

  // A reload restores the session through POST /api/auth/refresh.
  const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/auth/refresh') && r.status() === 200);
  await page.reload();
  await refreshed;
  await waitForView(page, 'account');
  await signedIn(page, customer.first_name);
  assert.deepEqual(await storage(page), { local: {}, session: {} }, 'web storage must hold nothing');
  const scriptCookies = await page.evaluate(() => document.cookie);
  assert.doesNotMatch(scriptCookies, /shopdesk_refresh/, 'script can read the refresh cookie');
  assert.ok(!scriptCookies.includes(refresh.value));

  // The header menu signs out: home page, "Sign in" again, and a reload stays out.
  await signOutFromMenu(page);
  await page.waitForURL(`${shop.url}/`);
  assert.equal((await context.cookies()).some((c) => c.name === 'shopdesk_refresh'), false, 'cookie not cleared');
  await page.reload();
  await waitForView(page, 'catalog');
  await signedOut(page);
  // The account page now asks to sign in first.
  await page.goto(`${shop.url}/account`);
  await page.waitForURL(/\/account\/login\?next=%2Faccount|\/account\/login\?next=\/account/);
  await waitForView(page, 'login');
  assertNoProblems(problems);
});

test('sign-in and registration errors: a generic message for a wrong password, field messages next to fields', async () => {
  const { page, problems } = await shop.openPage();
  const customer = newCustomer('errors');
  await register(page, customer);
  await signOutFromMenu(page);

  await page.goto(`${shop.url}/account/login`);
  await waitForView(page, 'login');
  // Accessible form: labelled fields with the autocomplete hints password managers use.
  assert.equal(await page.getByLabel('Email').getAttribute('autocomplete'), 'username email');
  assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('autocomplete'), 'current-password');
  await page.screenshot({ path: artifactPath('account-login.png'), fullPage: true });

  await fillLogin(page, customer.email, 'not the right password');
  const banner = page.locator('main .banner-error');
  await banner.waitFor();
  const message = (await banner.locator('.banner-message').textContent()).trim();
  // Generic: the same answer for an unknown address, and no hint which part was wrong.
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
  await fillLogin(page, newCustomer('nobody').email, 'not the right password');
  assert.equal((await answered).status(), 401);
  await page.locator('main form[aria-busy="false"]').waitFor();
  assert.equal((await page.locator('main .banner-error .banner-message').textContent()).trim(), message);
  assert.doesNotMatch(message, /not found|no account|unknown/i);
  await signedOut(page);

  // Registration: the server's per-field message appears next to the field.
  await page.goto(`${shop.url}/account/register`);
  await waitForView(page, 'register');
  await page.getByLabel('First name').fill('Bo');
  await page.getByLabel('Last name').fill('Short');
  await page.getByLabel('Email').fill(newCustomer('weak').email);
  await page.getByLabel('Password').fill('password'); // 8 characters, but the most common one
  await page.getByRole('button', { name: 'Create account' }).click();
  const passwordField = page.locator('.field[data-field="password"]');
  await passwordField.locator('.field-error:not([hidden])').waitFor();
  assert.match(await passwordField.locator('.field-error').textContent(), /common/i);
  assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');
  assert.match(await page.getByLabel('Password').getAttribute('aria-describedby'), /-error/);

  // An address that already has an account.
  await page.getByLabel('Email').fill(customer.email);
  await page.getByLabel('Password').fill(customer.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('main .banner-error', { hasText: 'This email already has an account' }).waitFor();
  assertNoProblems(problems, 'the page', {
    allow: [allowStatus(401, '/api/auth/login'), allowStatus(422, '/api/auth/register'), allowStatus(409, '/api/auth/register')],
  });
});

test('forgot password: the mailed link leads to a new password, which then signs in', async () => {
  const { page, problems } = await shop.openPage();
  const customer = newCustomer('forgot');
  await register(page, customer);
  await signOutFromMenu(page);

  await page.goto(`${shop.url}/account/login`);
  await waitForView(page, 'login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await waitForView(page, 'forgot-password');
  await page.getByLabel('Email').fill(customer.email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await page.locator('main .banner-notice', { hasText: 'Check your email' }).waitFor();

  const link = await mailedLink(shop.server, customer.email, '/reset-password');
  await page.goto(`${shop.url}${link}`);
  await waitForView(page, 'reset-password');
  assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('autocomplete'), 'new-password');
  const newPassword = `${customer.password} renewed`;
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.waitForURL(/\/account\/login\?notice=password-reset$/);
  await waitForView(page, 'login');
  await page.locator('main .banner-notice', { hasText: 'Your password has been changed' }).waitFor();

  // The old password no longer works; the new one does.
  await fillLogin(page, customer.email, customer.password);
  await page.locator('main .banner-error').waitFor();
  await fillLogin(page, customer.email, newPassword);
  await page.waitForURL(/\/account$/);
  await waitForView(page, 'account');
  await signedIn(page, customer.first_name);

  // The link works once.
  await page.goto(`${shop.url}${link}`);
  await waitForView(page, 'reset-password');
  await page.getByLabel('New password', { exact: true }).fill(`${newPassword} again`);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.locator('main .banner-error', { hasText: 'expired or has already been used' }).waitFor();
  assertNoProblems(problems, 'the page', {
    allow: [allowStatus(401, '/api/auth/login'), allowStatus(400, '/api/auth/reset-password')],
  });
});

test('verify email: the link from the registration mail marks the address verified', async () => {
  const { page, problems } = await shop.openPage();
  const customer = newCustomer('verify');
  await register(page, customer);
  assert.equal(await page.locator('.verified-badge').getAttribute('data-verified'), 'false');
  await page.getByRole('button', { name: 'Resend verification email' }).click();
  await page.locator('.inline-status', { hasText: 'We sent a new link' }).waitFor();

  const link = await mailedLink(shop.server, customer.email, '/verify-email');
  await page.goto(`${shop.url}${link}`);
  await waitForView(page, 'verify-email');
  assert.equal((await page.locator('main h1').textContent()).trim(), 'Email verified');
  await page.getByRole('link', { name: 'Go to your account' }).click();
  await waitForView(page, 'account');
  assert.equal(await page.locator('.verified-badge').getAttribute('data-verified'), 'true');
  assert.equal((await page.locator('.verified-badge').textContent()).trim(), 'Verified');
  await page.getByRole('button', { name: 'Resend verification email' }).waitFor({ state: 'detached' });
  assertNoProblems(problems);
});

test('two-factor sign-in: set up with the QR code, then sign-in asks for the code (or a recovery code)', async () => {
  const { page, problems } = await shop.openPage();
  const customer = newCustomer('totp');
  await register(page, customer);

  await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  const qr = page.locator('img.totp-qr');
  await qr.waitFor();
  assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
  assert.ok(await qr.evaluate((img) => img.decode().then(() => img.naturalWidth > 0)), 'the QR image did not render');
  assert.ok((await qr.getAttribute('alt')).length > 10);
  const secret = await page.locator('.totp-secret').getAttribute('data-secret');
  assert.match(secret, /^[A-Z2-7]{16,}=*$/);
  assert.equal((await page.locator('.totp-secret').textContent()).replace(/\s/g, ''), secret);
  assert.equal(await page.getByLabel('Code from the app').getAttribute('autocomplete'), 'one-time-code');
  await page.screenshot({ path: artifactPath('account-2fa-qr.png'), fullPage: true });

  // A wrong code first: the message sits next to the field.
  await page.getByLabel('Code from the app').fill('000000' === await freshTotp(secret) ? '111111' : '000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.locator('.field[data-field="code"] .field-error:not([hidden])').waitFor();

  const confirmedAt = Date.now();
  await page.getByLabel('Code from the app').fill(await freshTotp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.locator('.recovery-codes li');
  await codes.first().waitFor();
  assert.equal(await codes.count(), 10);
  const recoveryCodes = (await codes.allTextContents()).map((c) => c.trim());
  await page.getByRole('button', { name: 'I have saved these codes' }).click();
  await page.locator('#two-factor[data-totp="on"]').waitFor();

  // Signing in now takes the code as well.
  await signOutFromMenu(page);
  await page.goto(`${shop.url}/account/login`);
  await waitForView(page, 'login');
  await fillLogin(page, customer.email, customer.password);
  const codeInput = page.getByLabel('Authentication code');
  await codeInput.waitFor();
  assert.equal(await codeInput.getAttribute('autocomplete'), 'one-time-code');
  await signedOut(page);
  await codeInput.fill(await totpAfter(secret, confirmedAt)); // the confirmation used its step
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await page.waitForURL(/\/account$/);
  await waitForView(page, 'account');
  await signedIn(page, customer.first_name);
  await page.locator('#two-factor[data-totp="on"]').waitFor();

  // A recovery code works instead of the app, once.
  await signOutFromMenu(page);
  await page.goto(`${shop.url}/account/login`);
  await waitForView(page, 'login');
  await fillLogin(page, customer.email, customer.password);
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(recoveryCodes[0]);
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await page.waitForURL(/\/account$/);
  await signedIn(page, customer.first_name);

  // And it can be turned off again with the password.
  await waitForView(page, 'account');
  await page.locator('.totp-off summary').click();
  await page.getByLabel('Your password').fill(customer.password);
  await page.getByRole('button', { name: 'Turn off two-factor sign-in' }).click();
  await page.locator('#two-factor[data-totp="off"]').waitFor();
  assertNoProblems(problems, 'the page', {
    allow: [allowStatus(401, '/api/auth/login'), allowStatus(422, '/api/auth/2fa/confirm')],
  });
});
