// Per-spec-file fixture: one shopdesk process and one browser, started in before()
// and always torn down in after(), even when a test or before() itself failed.
//
//   import { useShop } from '../support/suite.mjs';
//   const shop = useShop('storefront');
//   const shop = useShop('catalog', { seed: { products: 60 } });   // demo catalog
//   test('...', async () => { const { page, problems } = await shop.openPage(); ... });
//
// shop.url is the base URL (no trailing slash); shop.openPage(options) opens an
// isolated context + page (see browser.mjs); shop.server is the startShop() handle.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { launchBrowser, openPage } from './browser.mjs';
import { startShop } from './shop.mjs';

export function useShop(name, { args = [], env = {}, seed = null } = {}) {
  const fixture = {
    server: null,
    browser: null,
    url: null,
    contexts: [],
    async openPage(options) {
      const opened = await openPage(fixture.browser, options);
      fixture.contexts.push(opened.context);
      return opened;
    },
  };

  before(async () => {
    fixture.server = await startShop({ name, args, env, seed });
    fixture.url = fixture.server.url.replace(/\/$/, '');
    fixture.browser = await launchBrowser();
  }, { timeout: seed ? 330_000 : 150_000 });

  after(async () => {
    const errors = [];
    if (fixture.browser) {
      await fixture.browser.close().catch((e) => errors.push(e));
    }
    if (fixture.server) {
      const result = await fixture.server.stop();
      // A clean SIGTERM stop exits 0: anything else (a crash on shutdown, a sanitizer
      // report, a hang) is a failure of this file.
      if (result.code !== 0) {
        errors.push(new Error(`shopdesk did not stop cleanly on SIGTERM: ${JSON.stringify(result)}\n` +
          fixture.server.log().split('\n').slice(-30).join('\n')));
      }
    }
    if (errors.length) throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'teardown failed');
  }, { timeout: 60_000 });

  return fixture;
}

// Asserts that a page reported nothing wrong, listing everything that was.
// allow: regular expressions for problems the test itself provoked (e.g. the browser's
// "Failed to load resource: ... 404" line when a test asks for a missing product).
export function assertNoProblems(problems, what = 'the page', { allow = [] } = {}) {
  const all = problems.all().filter((p) => !allow.some((re) => re.test(p)));
  assert.deepEqual(all, [], `${what} reported problems:\n  ${all.join('\n  ')}`);
}
