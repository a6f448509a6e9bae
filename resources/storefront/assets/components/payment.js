// The payment step of an order that waits for its money (status pending_payment):
//  - manual (the default): the shop's instructions (GET /api/payment/config), the
//    amount, the order number to quote, and the date the order lapses;
//  - stripe with a publishable key: Stripe's Payment Element. Stripe.js is loaded from
//    https://js.stripe.com only then (never for a manual shop), a PaymentIntent is made
//    for the order (POST /api/payment/create-intent) and confirmPayment() takes the
//    shopper through any 3-D Secure step and back to the confirmation page. The order
//    turns paid when Stripe's webhook says so, never on the browser's word.
import { h } from '../dom.js';
import { formatMoney } from '../format.js';
import { createPaymentIntent } from '../orders.js';
import { errorBanner, noticeBanner } from './banner.js';
import { formatDateTime } from './order-status.js';

const STRIPE_JS = 'https://js.stripe.com/v3/';

const DEFAULT_INSTRUCTIONS = 'Pay by bank transfer or in person at the shop. Quote your order number with the payment; ' +
  'we send your order as soon as the payment arrives.';

export function needsPayment(order) {
  return order.status === 'pending_payment' && order.payment_status !== 'paid';
}

export function usesStripe(order, config) {
  const provider = order.payment_provider || config.provider;
  return provider === 'stripe' && config.provider === 'stripe' && Boolean(config.publishable_key);
}

function paragraphs(text) {
  return String(text || '').split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean).map((p) => h('p', {}, p));
}

function manualPanel(order, config) {
  const total = formatMoney(Number(order.total_cents), order.currency || 'USD');
  const instructions = paragraphs(config.instructions);
  return h('section', { class: 'payment-panel', 'aria-labelledby': 'payment-title', dataset: { provider: 'manual' } },
    h('h2', { id: 'payment-title' }, 'How to pay'),
    h('div', { class: 'payment-instructions' }, instructions.length ? instructions : h('p', {}, DEFAULT_INSTRUCTIONS)),
    h('dl', { class: 'payment-facts' },
      h('div', {}, h('dt', {}, 'Amount'), h('dd', { class: 'payment-amount' }, total)),
      h('div', {}, h('dt', {}, 'Reference'), h('dd', { class: 'payment-reference' }, order.number)),
      order.expires_at
        ? h('div', {}, h('dt', {}, 'Pay by'), h('dd', {}, formatDateTime(order.expires_at)))
        : null),
    order.expires_at
      ? h('p', { class: 'note' }, 'An order that is not paid by then is cancelled and its items go back on sale.')
      : null);
}

let stripeLoading = null;
function loadStripe() {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  if (!stripeLoading) {
    stripeLoading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = STRIPE_JS;
      script.async = true;
      script.addEventListener('load', () => (window.Stripe ? resolve(window.Stripe) : reject(new Error('Stripe.js did not start'))));
      script.addEventListener('error', () => reject(new Error('Stripe.js could not be loaded')));
      document.head.append(script);
    }).catch((error) => {
      stripeLoading = null;
      throw error;
    });
  }
  return stripeLoading;
}

function stripePanel(order, config, ctx) {
  const total = formatMoney(Number(order.total_cents), order.currency || 'USD');
  const status = h('div', { class: 'form-status' });
  const mount = h('div', { class: 'stripe-element', id: `payment-element-${order.id}` },
    h('p', { class: 'note' }, 'Loading the secure card form…'));
  const pay = h('button', { type: 'submit', class: 'button button-large', disabled: true }, `Pay ${total}`);
  const form = h('form', { class: 'payment-form', 'aria-label': 'Card payment', method: 'post' }, status, mount,
    h('div', { class: 'form-actions' }, pay));
  const section = h('section', { class: 'payment-panel', 'aria-labelledby': 'payment-title', dataset: { provider: 'stripe' } },
    h('h2', { id: 'payment-title' }, 'Pay by card'),
    h('p', { class: 'section-lead' }, `Pay ${total} for order ${order.number}. Card details go straight to Stripe; the shop never sees them.`),
    form);

  const fail = (message, title = 'The card form could not be shown') => {
    mount.replaceChildren();
    status.replaceChildren(errorBanner(message, { title }));
  };

  (async () => {
    let Stripe;
    try {
      Stripe = await loadStripe();
    } catch {
      fail('Stripe could not be reached. Check your connection and reload the page, or contact the shop to pay another way.');
      return;
    }
    const intent = await createPaymentIntent(order.id);
    if (!ctx.isCurrent()) return;
    if (!intent.ok) {
      if (intent.error.code === 'ALREADY_PAID') {
        mount.replaceChildren();
        status.replaceChildren(noticeBanner('This order is already paid. Thank you!', { title: 'Paid' }));
        return;
      }
      fail(intent.error.message);
      return;
    }
    const stripe = Stripe(config.publishable_key);
    const elements = stripe.elements({
      clientSecret: intent.data.client_secret,
      appearance: { theme: 'stripe', variables: { colorPrimary: '#2458d6', borderRadius: '8px' } },
    });
    const element = elements.create('payment', { layout: 'tabs' });
    mount.replaceChildren();
    element.mount(mount);
    element.on('ready', () => { pay.disabled = false; });

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (pay.disabled) return;
      pay.disabled = true;
      status.replaceChildren();
      const returnUrl = new URL(`/orders/${encodeURIComponent(order.id)}/confirmation`, location.origin).href;
      const { error } = await stripe.confirmPayment({ elements, confirmParams: { return_url: returnUrl } });
      // Only reached when the payment could not even start (a declined card, a missing
      // field); otherwise the browser is on its way to return_url.
      pay.disabled = false;
      if (error) {
        status.replaceChildren(errorBanner(
          error.type === 'card_error' || error.type === 'validation_error' ? error.message : 'The payment did not go through. Please try again.',
          { title: 'Payment not completed' }));
      }
    });
  })().catch((error) => {
    console.error(error);
    fail('Something went wrong while preparing the payment. Please reload the page.');
  });
  return section;
}

// The section for an order, or null when it needs no payment (paid, cancelled...).
export function paymentPanel(order, config, ctx) {
  if (!needsPayment(order)) return null;
  return usesStripe(order, config) ? stripePanel(order, config, ctx) : manualPanel(order, config);
}
