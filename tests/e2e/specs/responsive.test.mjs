// Layout at phone widths: nothing forces horizontal scrolling.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactPath } from '../support/paths.mjs';
import { assertNoProblems, useShop } from '../support/suite.mjs';

const shop = useShop('responsive');

const PHONE = { width: 375, height: 740 };

test('at 375px wide the header and main content fit without horizontal scroll', async () => {
  const { page, problems } = await shop.openPage({ viewport: PHONE, isMobile: true, hasTouch: true });
  await page.goto(`${shop.url}/`);
  await page.locator('#status', { hasText: 'The shop is open.' }).waitFor();

  const layout = await page.evaluate(() => {
    const box = (sel) => {
      const el = document.querySelector(sel);
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { left: r.left, right: r.right, width: r.width, scrollWidth: el.scrollWidth, clientWidth: el.clientWidth };
    };
    return {
      viewport: window.innerWidth,
      scrollWidth: document.scrollingElement.scrollWidth,
      header: box('header.site-header'),
      main: box('main'),
    };
  });
  assert.equal(layout.viewport, PHONE.width);
  assert.ok(layout.scrollWidth <= layout.viewport,
    `page scrolls horizontally: scrollWidth ${layout.scrollWidth} > ${layout.viewport}`);
  for (const part of ['header', 'main']) {
    const b = layout[part];
    assert.ok(b, `no ${part} element`);
    assert.ok(b.left >= 0 && b.right <= layout.viewport,
      `${part} sticks out of the viewport: ${JSON.stringify(b)}`);
    assert.ok(b.scrollWidth <= b.clientWidth, `${part} overflows its own box: ${JSON.stringify(b)}`);
  }
  await page.screenshot({ path: artifactPath('home-375.png'), fullPage: true });
  assertNoProblems(problems);
});
