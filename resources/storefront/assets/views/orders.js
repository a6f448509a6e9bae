// /orders ("My orders"): the signed-in shopper's orders, newest first, with number,
// date, status and total; each leads to its detail page.
import { currentUser, ready } from '../auth.js';
import { h } from '../dom.js';
import { formatMoney, plural } from '../format.js';
import { fetchOrders } from '../orders.js';
import { statusBadge, timeElement } from '../components/order-status.js';
import { errorResult } from './error.js';

function signInFirst(ctx) {
  ctx.navigate('/account/login?next=/orders', { replace: true });
  return { node: h('div'), title: 'My orders' };
}

function skeleton() {
  return h('section', { class: 'orders-page', 'aria-hidden': 'true' },
    h('div', { class: 'skeleton-line title' }),
    h('div', { class: 'skeleton-card orders-skeleton' },
      h('div', { class: 'skeleton-line' }), h('div', { class: 'skeleton-line' }), h('div', { class: 'skeleton-line' })));
}

export default {
  skeleton,

  async load(ctx) {
    await ready();
    if (!currentUser()) return signInFirst(ctx);
    const result = await fetchOrders();
    if (!result.ok) {
      if (result.status === 401) return signInFirst(ctx);
      return errorResult(ctx, result.error, { title: 'My orders', heading: 'My orders' });
    }
    const orders = Array.isArray(result.data) ? result.data : [];

    const body = orders.length
      ? h('table', { class: 'orders-table' },
        h('caption', { class: 'sr-only' }, 'Your orders, newest first'),
        h('thead', {},
          h('tr', {},
            h('th', { scope: 'col' }, 'Order'),
            h('th', { scope: 'col' }, 'Placed'),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col' }, 'Items'),
            h('th', { scope: 'col', class: 'num' }, 'Total'))),
        h('tbody', {},
          orders.map((o) => h('tr', { class: 'order-row', dataset: { orderId: String(o.id), status: o.status } },
            h('th', { scope: 'row', 'data-label': 'Order' },
              h('a', { class: 'order-link', href: `/orders/${encodeURIComponent(o.id)}` }, o.number)),
            h('td', { 'data-label': 'Placed' }, timeElement(o.created_at)),
            h('td', { 'data-label': 'Status' }, statusBadge(o.status)),
            h('td', { 'data-label': 'Items' }, plural(Number(o.item_count) || 0, 'item')),
            h('td', { class: 'num order-row-total', 'data-label': 'Total' }, formatMoney(Number(o.total_cents), o.currency || 'USD'))))))
      : h('div', { class: 'empty-state' },
        h('p', { class: 'empty-title' }, 'No orders yet.'),
        h('p', {}, 'When you place an order it shows up here, with every step until it reaches you.'),
        h('p', { class: 'empty-actions' }, h('a', { class: 'button', href: '/products' }, 'Start shopping')));

    const node = h('section', { class: 'orders-page', 'aria-labelledby': 'orders-title' },
      h('div', { class: 'catalog-head' },
        h('div', {},
          h('h1', { class: 'page-title', id: 'orders-title' }, 'My orders'),
          orders.length ? h('p', { class: 'page-lead' }, plural(orders.length, 'order')) : null)),
      body);
    return { view: 'orders', title: 'My orders', node, announce: orders.length ? `My orders: ${plural(orders.length, 'order')}` : 'My orders: none yet' };
  },
};
