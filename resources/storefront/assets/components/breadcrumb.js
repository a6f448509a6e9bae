import { h } from '../dom.js';

// items: [{ label, href }], the last one being the current page (no link).
export function breadcrumb(items) {
  return h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' },
    h('ol', {}, items.map((item, i) => (i === items.length - 1
      ? h('li', {}, h('span', { 'aria-current': 'page' }, item.label))
      : h('li', {}, h('a', { href: item.href }, item.label))))));
}
