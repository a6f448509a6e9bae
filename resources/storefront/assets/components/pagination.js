import { h, icon } from '../dom.js';

// Which page numbers to show: first, last, and a window around the current one,
// with null where a gap (an ellipsis) goes. pageList(6, 12) -> [1, null, 5, 6, 7, null, 12]
export function pageList(current, total, around = 1) {
  const pages = [];
  for (let p = 1; p <= total; p += 1) {
    if (p === 1 || p === total || Math.abs(p - current) <= around ||
        (p === 2 && current - around === 3) || (p === total - 1 && current + around === total - 2)) {
      pages.push(p);
    } else if (pages[pages.length - 1] !== null) {
      pages.push(null);
    }
  }
  return pages;
}

// Prev / numbers / Next as real links (hrefFor(page) builds each URL), so they open
// in new tabs and work without the router too.
export function pagination({ page, totalPages, hrefFor }) {
  if (totalPages <= 1) return null;
  const prev = page > 1
    ? h('a', { class: 'page-link page-prev', href: hrefFor(page - 1), rel: 'prev' }, icon('chevronLeft'), h('span', {}, 'Prev'))
    : h('span', { class: 'page-link page-prev is-disabled', 'aria-disabled': 'true' }, icon('chevronLeft'), h('span', {}, 'Prev'));
  const next = page < totalPages
    ? h('a', { class: 'page-link page-next', href: hrefFor(page + 1), rel: 'next' }, h('span', {}, 'Next'), icon('chevronRight'))
    : h('span', { class: 'page-link page-next is-disabled', 'aria-disabled': 'true' }, h('span', {}, 'Next'), icon('chevronRight'));
  const numbers = pageList(page, totalPages).map((p) => {
    if (p === null) return h('li', { class: 'page-gap', 'aria-hidden': 'true' }, '…');
    return h('li', {},
      p === page
        ? h('a', { class: 'page-link page-number is-current', href: hrefFor(p), 'aria-current': 'page', 'aria-label': `Page ${p}, current page` }, String(p))
        : h('a', { class: 'page-link page-number', href: hrefFor(p), 'aria-label': `Page ${p}` }, String(p)));
  });
  return h('nav', { class: 'pagination', 'aria-label': 'Pagination' },
    prev, h('ul', { class: 'page-numbers', role: 'list' }, numbers), next);
}
