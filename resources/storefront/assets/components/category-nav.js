import { h } from '../dom.js';
import { formatCount } from '../format.js';

// The header's category bar: "All products" plus every category with its count.
export function renderCategoryNav(list, categories) {
  const items = [h('li', {}, h('a', { href: '/products', class: 'category-link', dataset: { slug: '' } }, 'All products'))];
  for (const c of categories) {
    items.push(h('li', {},
      h('a', { href: `/category/${encodeURIComponent(c.slug)}`, class: 'category-link', dataset: { slug: c.slug } },
        h('span', { class: 'category-name' }, c.name),
        h('span', { class: 'category-count' },
          h('span', { class: 'sr-only' }, ', '),
          formatCount(c.product_count),
          h('span', { class: 'sr-only' }, c.product_count === 1 ? ' product' : ' products')))));
  }
  list.replaceChildren(...items);
}

// Marks the current category (or "All products") with aria-current, and scrolls the
// bar sideways (on phones it overflows) so the current one is in view.
export function markCurrentCategory(list, slug) {
  for (const link of list.querySelectorAll('a.category-link')) {
    if (slug !== null && link.dataset.slug === slug) {
      link.setAttribute('aria-current', 'page');
      const item = link.parentElement;
      if (item.offsetLeft < list.scrollLeft || item.offsetLeft + item.offsetWidth > list.scrollLeft + list.clientWidth) {
        list.scrollLeft = Math.max(0, item.offsetLeft - 16);
      }
    } else {
      link.removeAttribute('aria-current');
    }
  }
}
