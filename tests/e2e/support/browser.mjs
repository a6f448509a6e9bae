// Debian's chromium driven by playwright-core: no downloaded browser, ever.
import { chromium } from 'playwright-core';
import { chromiumPath } from './paths.mjs';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// launch() gives the browser a fresh temporary user-data-dir of its own (Playwright
// creates it and deletes it on close), so no profile state leaks between runs.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

// A new isolated context and page, with everything that went wrong in it collected:
//   problems.console      console.error messages (Chromium also logs CSP refusals here)
//   problems.pageErrors   uncaught exceptions and unhandled rejections
//   problems.csp          securitypolicyviolation events seen by the page
//   problems.failedRequests requests that got no response
// problems.all() lists them as strings, for one assertion with a readable message.
export async function openPage(browser, { viewport = { width: 1280, height: 800 }, ...contextOptions } = {}) {
  const context = await browser.newContext({ viewport, ...contextOptions });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);

  const problems = {
    console: [],
    pageErrors: [],
    csp: [],
    failedRequests: [],
    all() {
      return [
        ...this.console.map((m) => `console.error: ${m}`),
        ...this.pageErrors.map((m) => `page error: ${m}`),
        ...this.csp.map((v) => `CSP violation: ${v.effectiveDirective} blocked ${v.blockedURI || '(inline)'}` +
          ` at ${v.sourceFile || v.documentURI}:${v.lineNumber}`),
        ...this.failedRequests.map((m) => `request failed: ${m}`),
      ];
    },
  };

  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const { url, lineNumber } = msg.location();
      problems.console.push(`${msg.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (error) => problems.pageErrors.push(error.stack || String(error)));
  page.on('requestfailed', (request) => {
    const error = request.failure()?.errorText;
    // The browser cancels image loads still in flight when the page navigates away
    // (seen on a slow sanitizer build); that is the user leaving, not a failure.
    if (error === 'net::ERR_ABORTED' && request.resourceType() === 'image') return;
    problems.failedRequests.push(`${request.method()} ${request.url()}: ${error}`);
  });

  // The binding and the init script come in through the DevTools protocol, not the
  // page's own markup, so the page's CSP does not apply to them.
  await page.exposeBinding('__e2eReportCspViolation', (_source, violation) => problems.csp.push(violation));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__e2eReportCspViolation({
        effectiveDirective: e.effectiveDirective,
        violatedDirective: e.violatedDirective,
        blockedURI: e.blockedURI,
        sourceFile: e.sourceFile,
        lineNumber: e.lineNumber,
        documentURI: e.documentURI,
        sample: e.sample,
      });
    }, true);
  });

  return { context, page, problems };
}
