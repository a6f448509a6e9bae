// Content Security Policy and a clean console on the storefront.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNoProblems, useShop } from '../support/suite.mjs';

const shop = useShop('security');

// Parses a CSP header into Map(directive -> [sources]).
function parseCsp(header) {
  return new Map(header.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...sources] = d.split(/\s+/);
    return [name.toLowerCase(), sources];
  }));
}

for (const path of ['/', '/products/42']) {
  test(`${path} carries a Content-Security-Policy without 'unsafe-inline'`, async () => {
    const { page } = await shop.openPage();
    const response = await page.goto(`${shop.url}${path}`);
    const header = response.headers()['content-security-policy'];
    assert.ok(header, `no Content-Security-Policy header on ${path}`);
    assert.doesNotMatch(header, /'unsafe-inline'|'unsafe-eval'/);
    const csp = parseCsp(header);
    const scripts = csp.get('script-src') ?? csp.get('default-src');
    assert.ok(scripts, `CSP has neither script-src nor default-src: ${header}`);
    assert.ok(!scripts.includes('*'), `script-src allows any origin: ${header}`);
  });
}

test('the storefront loads with no console errors and no CSP violations', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/`);
  await page.locator('#status', { hasText: 'The shop is open.' }).waitFor();
  await page.waitForLoadState('networkidle');
  assertNoProblems(problems);
});

// Checks the checker: the browser enforces the policy, and the listener sees it.
test('the CSP is enforced: an injected inline script is refused and reported', async () => {
  const { page, problems } = await shop.openPage();
  await page.goto(`${shop.url}/`);
  await page.locator('#status', { hasText: 'The shop is open.' }).waitFor();
  const ran = await page.evaluate(async () => {
    window.__inlineRan = false;
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true;';
    document.head.append(s);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return window.__inlineRan;
  });
  assert.equal(ran, false, 'an inline script ran despite the CSP');
  await waitUntil(() => problems.csp.length > 0, 5_000);
  assert.equal(problems.csp[0].effectiveDirective, 'script-src-elem');
  assert.equal(problems.csp[0].blockedURI, 'inline');
});

async function waitUntil(predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
