// /orders/<id>: one of the shopper's orders — status, the payment step while it waits
// for payment, the lines and totals, the address, the timeline of what happened, and
// "Cancel order" while the shop allows it (order.can_cancel).
import { currentUser, ready } from '../auth.js';
import { h } from '../dom.js';
import { formatCount, formatMoney } from '../format.js';
import { cancelOrder, fetchOrder, paymentConfig } from '../orders.js';
import { errorBanner } from '../components/banner.js';
import { breadcrumb } from '../components/breadcrumb.js';
import { countryName } from '../components/countries.js';
import { paymentPanel } from '../components/payment.js';
import { paymentStatusLabel, statusBadge, timeElement, timeline } from '../components/order-status.js';
import { errorResult } from './error.js';
import { notFoundResult } from './not-found.js';

function orderNotFound() {
  return notFoundResult({ title: 'Order not found', message: 'We could not find that order in your account.' });
}

function money(cents, order) {
  return formatMoney(Number(cents), order.currency || 'USD');
}

function addressBlock(a) {
  if (!a) return h('p', { class: 'muted' }, '—');
  const cityLine = [a.postal_code, a.city].filter(Boolean).join(' ');
  const lines = [a.name, a.line1, a.line2, [cityLine, a.region].filter(Boolean).join(', '), countryName(a.country)].filter(Boolean);
  return h('address', { class: 'order-address' },
    lines.map((line) => h('span', {}, line)),
    a.phone ? h('span', { class: 'muted' }, a.phone) : null);
}

function linesTable(order) {
  return h('table', { class: 'order-lines' },
    h('caption', { class: 'sr-only' }, 'Items in this order'),
    h('thead', {},
      h('tr', {},
        h('th', { scope: 'col' }, 'Item'),
        h('th', { scope: 'col', class: 'num' }, 'Price'),
        h('th', { scope: 'col', class: 'num' }, 'Qty'),
        h('th', { scope: 'col', class: 'num' }, 'Total'))),
    h('tbody', {},
      (order.items || []).map((line) => h('tr', { class: 'order-line', dataset: { productId: String(line.product_id ?? '') } },
        h('th', { scope: 'row' },
          line.product_id ? h('a', { href: `/product/${encodeURIComponent(line.product_id)}` }, line.name) : line.name,
          line.sku ? h('span', { class: 'order-line-sku' }, `SKU ${line.sku}`) : null),
        h('td', { class: 'num', 'data-label': 'Price' }, money(line.price_cents, order)),
        h('td', { class: 'num order-line-qty', 'data-label': 'Qty' }, formatCount(line.quantity)),
        h('td', { class: 'num', 'data-label': 'Total' }, money(line.subtotal_cents, order))))),
    h('tfoot', {},
      h('tr', {}, h('th', { scope: 'row', colspan: 3 }, 'Subtotal'), h('td', { class: 'num' }, money(order.subtotal_cents, order))),
      h('tr', {}, h('th', { scope: 'row', colspan: 3 }, 'Shipping'),
        h('td', { class: 'num' }, Number(order.shipping_cents) ? money(order.shipping_cents, order) : 'Free')),
      h('tr', { class: 'order-total-row' }, h('th', { scope: 'row', colspan: 3 }, 'Total'),
        h('td', { class: 'num order-total', dataset: { totalCents: String(order.total_cents) } }, money(order.total_cents, order))),
      Number(order.refunded_cents) > 0
        ? h('tr', {}, h('th', { scope: 'row', colspan: 3 }, 'Refunded'), h('td', { class: 'num' }, `−${money(order.refunded_cents, order)}`))
        : null));
}

// "Cancel order", then a confirmation step with an optional reason.
function cancelSection(order, { onCancelled }) {
  const section = h('section', { class: 'account-section order-cancel', 'aria-labelledby': 'cancel-title' });

  function showButton() {
    const open = h('button', { type: 'button', class: 'button button-secondary button-danger' }, 'Cancel order');
    open.addEventListener('click', showConfirm);
    section.replaceChildren(
      h('h2', { id: 'cancel-title' }, 'Changed your mind?'),
      h('p', { class: 'section-lead' }, order.payment_status === 'paid'
        ? 'You can cancel this order until it ships. We refund your payment.'
        : 'You can cancel this order until it ships.'),
      open);
    return open;
  }

  function showConfirm() {
    const status = h('div', { class: 'form-status' });
    const reasonId = `cancel-reason-${order.id}`;
    const reason = h('textarea', { id: reasonId, name: 'reason', class: 'input', rows: 2, maxlength: 500 });
    const confirm = h('button', { type: 'submit', class: 'button button-danger' }, 'Yes, cancel the order');
    const keep = h('button', { type: 'button', class: 'button button-secondary' }, 'Keep the order');
    const form = h('form', { class: 'cancel-form', method: 'post', 'aria-labelledby': 'cancel-title' },
      status,
      h('div', { class: 'field' },
        h('label', { for: reasonId }, 'Why are you cancelling?', h('span', { class: 'optional' }, ' (optional)')),
        reason),
      h('div', { class: 'form-actions' }, confirm, keep));
    keep.addEventListener('click', () => showButton().focus());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (confirm.disabled) return;
      confirm.disabled = true;
      keep.disabled = true;
      confirm.textContent = 'Cancelling…';
      const result = await cancelOrder(order.id, reason.value.trim());
      if (result.ok) {
        onCancelled(result.data);
        return;
      }
      confirm.disabled = false;
      keep.disabled = false;
      confirm.textContent = 'Yes, cancel the order';
      status.replaceChildren(errorBanner(result.error.message, { title: 'The order was not cancelled' }));
    });
    section.replaceChildren(
      h('h2', { id: 'cancel-title' }, `Cancel order ${order.number}?`),
      h('p', { class: 'section-lead' }, 'The items go back on sale. This cannot be undone.'),
      form);
    reason.focus();
  }

  showButton();
  return section;
}

function render(order, config, ctx, { notice } = {}) {
  const live = document.getElementById('live');
  const holder = h('div', { class: 'order-page', dataset: { orderId: String(order.id), status: order.status } });

  function redraw(updated, message) {
    const fresh = render(updated, config, ctx, { notice: message });
    holder.replaceWith(fresh);
    const title = fresh.querySelector('h1');
    title.setAttribute('tabindex', '-1');
    title.focus();
    if (live) live.textContent = message;
  }

  const tracking = order.carrier || order.tracking_number
    ? h('p', { class: 'order-tracking' }, 'Shipped with ', h('strong', {}, order.carrier || 'the carrier'),
      order.tracking_number ? [', tracking number ', h('code', {}, order.tracking_number)] : null)
    : null;

  // "Awaiting payment" says nothing the status does not (and is wrong for a cancelled
  // order): the payment line shows only once money moved or failed.
  const paymentInfo = !['pending', 'unpaid', ''].includes(order.payment_status || '');
  holder.append(...[
    breadcrumb([{ label: 'My orders', href: '/orders' }, { label: order.number }]),
    h('div', { class: 'order-head' },
      h('div', {},
        h('h1', { class: 'page-title', id: 'order-title' }, 'Order ', h('span', { class: 'order-number' }, order.number)),
        h('p', { class: 'page-lead' }, 'Placed ', timeElement(order.created_at, { withTime: true }))),
      h('div', { class: 'order-head-status' },
        h('span', { class: 'order-status' }, statusBadge(order.status)),
        paymentInfo ? h('span', { class: 'order-payment-status muted' }, `Payment: ${paymentStatusLabel(order.payment_status)}`) : null)),
    notice ? h('div', { class: 'banner banner-notice', role: 'status' }, h('div', { class: 'banner-text' }, h('p', { class: 'banner-message' }, notice))) : null,
    h('div', { class: 'order-layout' },
      h('div', { class: 'order-main' },
        paymentPanel(order, config, ctx),
        h('section', { class: 'account-section', 'aria-labelledby': 'items-title' },
          h('h2', { id: 'items-title' }, 'Items'),
          linesTable(order)),
        h('section', { class: 'account-section', 'aria-labelledby': 'timeline-title' },
          h('h2', { id: 'timeline-title' }, 'Timeline'),
          tracking,
          timeline(order.events))),
      h('div', { class: 'order-side' },
        h('section', { class: 'account-section', 'aria-labelledby': 'address-title' },
          h('h2', { id: 'address-title' }, 'Shipping to'),
          addressBlock(order.shipping_address),
          order.email ? h('p', { class: 'order-email muted' }, order.email) : null),
        order.note
          ? h('section', { class: 'account-section', 'aria-labelledby': 'note-title' },
            h('h2', { id: 'note-title' }, 'Your note'),
            h('p', { class: 'order-note' }, order.note))
          : null,
        order.can_cancel
          ? cancelSection(order, { onCancelled: (updated) => redraw(updated, `Order ${updated.number} is cancelled.`) })
          : null)),
  ].filter(Boolean));
  return holder;
}

export default {
  async load(ctx) {
    const id = ctx.params.id;
    if (!/^[1-9][0-9]{0,17}$/.test(id)) return orderNotFound();
    await ready();
    if (!currentUser()) {
      ctx.navigate(`/account/login?next=${encodeURIComponent(`/orders/${id}`)}`, { replace: true });
      return { node: h('div'), title: 'Your order' };
    }
    const [result, config] = await Promise.all([fetchOrder(id), paymentConfig()]);
    if (!result.ok) {
      if (result.status === 404 || result.status === 403) return orderNotFound();
      return errorResult(ctx, result.error, { title: 'Your order', heading: 'Your order' });
    }
    const order = result.data;
    return { view: 'order', title: `Order ${order.number}`, node: render(order, config, ctx), announce: `Order ${order.number}` };
  },
};
