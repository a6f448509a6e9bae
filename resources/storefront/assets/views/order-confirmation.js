// /orders/<id>/confirmation: right after "Place order" — the order number, the total,
// how to pay (the payment step), and the way to "My orders". Stripe sends the shopper
// back here after a card payment with ?payment_intent=...&redirect_status=...: those
// (a client secret among them) are dropped from the address at once.
import { currentUser, ready } from '../auth.js';
import { h, icon } from '../dom.js';
import { formatCount, formatMoney } from '../format.js';
import { fetchOrder, paymentConfig } from '../orders.js';
import { noticeBanner, errorBanner } from '../components/banner.js';
import { paymentPanel } from '../components/payment.js';
import { statusBadge } from '../components/order-status.js';
import { errorResult } from './error.js';
import { notFoundResult } from './not-found.js';

// A tick, drawn like dom.js's icons (stroke paths on a 24x24 grid).
function checkIcon() {
  return h('svg', { class: 'icon', viewBox: '0 0 24 24', focusable: 'false' }, h('path', { xmlns: true, d: 'M5 12.5l4.5 4.5L19 7.5' }));
}

const REDIRECT_STATES = new Set(['succeeded', 'processing', 'failed', 'requires_payment_method']);

function orderNotFound() {
  return notFoundResult({ title: 'Order not found', message: 'We could not find that order in your account.' });
}

function paymentOutcome(state) {
  if (state === 'succeeded') {
    return noticeBanner('Thank you: your card payment went through. The order shows as paid as soon as Stripe confirms it.', { title: 'Payment received' });
  }
  if (state === 'processing') {
    return noticeBanner('Your payment is being processed. We will email you when it is confirmed.', { title: 'Payment processing' });
  }
  if (state === 'failed' || state === 'requires_payment_method') {
    return errorBanner('The payment did not go through. You can try again below with another card.', { title: 'Payment not completed' });
  }
  return null;
}

export default {
  async load(ctx) {
    const id = ctx.params.id;
    if (!/^[1-9][0-9]{0,17}$/.test(id)) return orderNotFound();

    if (ctx.query.has('payment_intent') || ctx.query.has('redirect_status')) {
      const state = ctx.query.get('redirect_status');
      const clean = `/orders/${id}/confirmation${REDIRECT_STATES.has(state) ? `?payment=${state}` : ''}`;
      ctx.navigate(clean, { replace: true });
      return { node: h('div'), title: 'Order placed' };
    }

    await ready();
    if (!currentUser()) {
      ctx.navigate(`/account/login?next=${encodeURIComponent(`/orders/${id}/confirmation`)}`, { replace: true });
      return { node: h('div'), title: 'Order placed' };
    }

    const [result, config] = await Promise.all([fetchOrder(id), paymentConfig()]);
    if (!result.ok) {
      if (result.status === 404 || result.status === 403) return orderNotFound();
      return errorResult(ctx, result.error, { title: 'Your order', heading: 'Your order' });
    }
    const order = result.data;
    const total = formatMoney(Number(order.total_cents), order.currency || 'USD');
    const detailHref = `/orders/${encodeURIComponent(order.id)}`;
    const outcome = paymentOutcome(ctx.query.get('payment'));
    const cancelled = order.status === 'cancelled';

    const node = h('div', { class: 'confirmation-page', dataset: { orderId: String(order.id) } },
      h('section', { class: 'confirmation-hero', 'aria-labelledby': 'confirmation-title' },
        h('span', { class: cancelled ? 'confirmation-mark is-cancelled' : 'confirmation-mark', 'aria-hidden': 'true' },
          cancelled ? icon('alert', 'icon') : checkIcon()),
        h('div', {},
          h('p', { class: 'hero-kicker' }, cancelled ? 'Order cancelled' : 'Thank you for your order'),
          h('h1', { id: 'confirmation-title', class: 'page-title' },
            'Order ', h('span', { class: 'order-number' }, order.number), cancelled ? ' was cancelled' : ' is placed'),
          h('p', { class: 'page-lead' },
            order.email ? `A confirmation goes to ${order.email}.` : 'Keep the order number for your records.'))),
      outcome,
      h('div', { class: 'confirmation-layout' },
        h('div', { class: 'confirmation-main' },
          paymentPanel(order, config, ctx),
          h('section', { class: 'account-section confirmation-next', 'aria-labelledby': 'next-title' },
            h('h2', { id: 'next-title' }, 'What happens next'),
            h('p', {}, order.status === 'pending_payment'
              ? 'We hold the items for you until the payment arrives, then pack and send them. You can follow every step in My orders.'
              : 'You can follow every step of your order in My orders.'),
            h('p', { class: 'empty-actions confirmation-actions' },
              h('a', { class: 'button', href: '/orders' }, 'My orders'),
              h('a', { class: 'button button-secondary', href: detailHref }, 'View this order'),
              h('a', { class: 'button button-secondary', href: '/products' }, 'Continue shopping')))),
        h('aside', { class: 'checkout-summary', 'aria-labelledby': 'summary-title' },
          h('div', { class: 'summary-head' },
            h('h2', { id: 'summary-title', class: 'summary-title' }, 'Summary'),
            statusBadge(order.status)),
          h('ul', { class: 'review-lines' },
            (order.items || []).map((line) => h('li', { class: 'review-line' },
              h('span', { class: 'review-qty' }, `${formatCount(line.quantity)} ×`),
              h('span', { class: 'review-name' }, line.name),
              h('span', { class: 'review-price' }, formatMoney(Number(line.subtotal_cents), order.currency || 'USD'))))),
          h('dl', { class: 'summary-rows' },
            h('div', {}, h('dt', {}, 'Subtotal'), h('dd', {}, formatMoney(Number(order.subtotal_cents), order.currency || 'USD'))),
            h('div', {}, h('dt', {}, 'Shipping'), h('dd', {}, Number(order.shipping_cents) ? formatMoney(Number(order.shipping_cents), order.currency || 'USD') : 'Free')),
            h('div', { class: 'summary-total' }, h('dt', {}, 'Total'), h('dd', { class: 'order-total', dataset: { totalCents: String(order.total_cents) } }, total))))));

    return {
      view: 'order-confirmation',
      title: `Order ${order.number}`,
      node,
      announce: `Order ${order.number} is placed. Total ${total}.`,
    };
  },
};
