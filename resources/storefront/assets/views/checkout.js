// /checkout: contact email, shipping address, an optional note, and a review of the
// cart, then "Place order". Signed-in shoppers only: a guest goes to sign in (or to
// create an account) and comes back here, with the guest cart merged into the
// account's (cart.js does that before it reads the cart).
//
// The server validates the address (VALIDATION_FAILED with "shipping_address.<name>"
// fields); its messages go next to the fields and into an error summary that gets the
// focus. One Idempotency-Key per attempt: a retry after no answer sends the same key,
// so a double click or a retry never makes two orders.
import { currentUser, ready } from '../auth.js';
import { cartEmptied, lineProblem, loadCart } from '../cart.js';
import { h } from '../dom.js';
import { formatCount, formatMoney, plural } from '../format.js';
import { paymentConfig, placeOrder } from '../orders.js';
import { breadcrumb } from '../components/breadcrumb.js';
import { countryOptions, defaultCountry } from '../components/countries.js';
import { errorSummary } from '../components/error-summary.js';
import { errorResult } from './error.js';

let nextId = 0;

// A labelled control with a hint and an error line, wired with aria-describedby.
// kind: 'input' | 'select' | 'textarea'. name is the API's field name.
function control({ name, label, kind = 'input', hint, required = false, options, value = '', ...attrs }) {
  const id = `co-${name.replace(/[^a-z0-9]+/gi, '-')}-${++nextId}`;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const common = {
    id,
    name,
    class: kind === 'select' ? 'select input' : 'input',
    required,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
    ...attrs,
  };
  let el;
  if (kind === 'select') el = h('select', common, options);
  else if (kind === 'textarea') el = h('textarea', { ...common, rows: 3 }, value);
  else el = h('input', { type: 'text', ...common, value });
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label, required ? null : h('span', { class: 'optional' }, ' (optional)')),
    hint ? h('p', { class: 'field-hint', id: hintId }, hint) : null,
    el,
    h('p', { class: 'field-error', id: errorId, hidden: true }));
}

function money(cents, currency) {
  return formatMoney(Number(cents), currency || 'USD');
}

function signInFirst(ctx) {
  ctx.navigate('/account/login?next=/checkout&notice=checkout', { replace: true });
  return { node: h('div'), title: 'Checkout' };
}

function emptyCart() {
  return {
    view: 'checkout',
    title: 'Checkout',
    node: h('section', { class: 'checkout-page' },
      h('h1', { class: 'page-title' }, 'Checkout'),
      h('div', { class: 'empty-state' },
        h('p', { class: 'empty-title' }, 'Your cart is empty.'),
        h('p', {}, 'Add something to your cart first, then come back to check out.'),
        h('p', { class: 'empty-actions' }, h('a', { class: 'button', href: '/products' }, 'Browse products')))),
    announce: 'Checkout: your cart is empty',
  };
}

// The cart as it will be ordered (read-only here; changes happen on the cart page).
function review(cart) {
  const problems = cart.items.filter((line) => lineProblem(line));
  return h('aside', { class: 'checkout-summary', 'aria-labelledby': 'review-title' },
    h('div', { class: 'summary-head' },
      h('h2', { id: 'review-title', class: 'summary-title' }, 'Your order'),
      h('a', { href: '/cart', class: 'summary-edit' }, 'Edit cart')),
    h('ul', { class: 'review-lines' },
      cart.items.map((line) => {
        const problem = lineProblem(line);
        return h('li', { class: problem ? 'review-line has-problem' : 'review-line', dataset: { productId: String(line.product_id) } },
          h('span', { class: 'review-qty' }, `${formatCount(line.quantity)} ×`),
          h('span', { class: 'review-name' }, line.name,
            problem ? h('span', { class: 'review-problem' },
              problem.kind === 'short' ? ` — only ${formatCount(problem.stock)} left` : ' — not available') : null),
          h('span', { class: 'review-price' }, money(line.subtotal_cents, cart.currency)));
      })),
    h('dl', { class: 'summary-rows' },
      h('div', {}, h('dt', {}, `Items (${formatCount(Number(cart.item_count) || 0)})`), h('dd', {}, money(cart.total_cents, cart.currency))),
      h('div', { class: 'summary-total' }, h('dt', {}, 'Total'),
        h('dd', { class: 'checkout-total', dataset: { totalCents: String(cart.total_cents) } }, money(cart.total_cents, cart.currency)))),
    h('p', { class: 'note' }, 'Shipping is confirmed with your order.'),
    problems.length
      ? h('p', { class: 'checkout-blocked' }, 'Some items are no longer available in that quantity. ',
        h('a', { href: '/cart' }, 'Review your cart'), ' to continue.')
      : null,
    h('div', { class: 'checkout-submit' },
      h('button', { type: 'submit', class: 'button button-large place-order', disabled: problems.length > 0 }, 'Place order'),
      h('p', { class: 'note' }, 'By placing the order you agree to pay the total shown.')));
}

function paymentNote(config) {
  const text = config.provider === 'stripe' && config.publishable_key
    ? 'After you place the order you pay by card on the next page, securely through Stripe.'
    : 'After you place the order we show you how to pay (for example by bank transfer or at the shop). We send it when the payment arrives.';
  return h('section', { class: 'checkout-section', 'aria-labelledby': 'payment-title' },
    h('h2', { id: 'payment-title' }, 'Payment'),
    h('p', { class: 'section-lead' }, text));
}

export default {
  async load(ctx) {
    await ready();
    if (!currentUser()) return signInFirst(ctx);

    const [cartResult, config] = await Promise.all([loadCart(), paymentConfig()]);
    if (!cartResult.ok) {
      if (cartResult.status === 401) return signInFirst(ctx);
      return errorResult(ctx, cartResult.error, { title: 'Checkout', heading: 'Checkout' });
    }
    const cart = cartResult.data;
    if (!cart.items.length) return emptyCart();

    const user = currentUser();
    const fullName = [user.first_name, user.last_name].filter(Boolean).join(' ');
    const status = h('div', { class: 'form-status' });

    const form = h('form', { class: 'checkout-form', id: 'checkout-form', method: 'post', novalidate: true, 'aria-labelledby': 'checkout-title' },
      h('div', { class: 'checkout-main' },
        status,
        h('section', { class: 'checkout-section', 'aria-labelledby': 'contact-title' },
          h('h2', { id: 'contact-title' }, 'Contact'),
          control({
            name: 'email', label: 'Email for the order confirmation', type: 'email', autocomplete: 'email',
            value: user.email || '', maxlength: 254, spellcheck: 'false',
            hint: 'Leave it as it is to use your account’s address.',
          })),
        h('section', { class: 'checkout-section', 'aria-labelledby': 'address-title' },
          h('h2', { id: 'address-title' }, 'Shipping address'),
          h('div', { class: 'field-grid' },
            control({ name: 'shipping_address.name', label: 'Full name', required: true, autocomplete: 'shipping name', value: fullName, maxlength: 100 }),
            control({ name: 'shipping_address.line1', label: 'Address line 1', required: true, autocomplete: 'shipping address-line1', maxlength: 200, hint: 'Street and number' }),
            control({ name: 'shipping_address.line2', label: 'Address line 2', autocomplete: 'shipping address-line2', maxlength: 200, hint: 'Apartment, suite, floor' }),
            h('div', { class: 'field-row' },
              control({ name: 'shipping_address.city', label: 'City', required: true, autocomplete: 'shipping address-level2', maxlength: 100 }),
              control({ name: 'shipping_address.region', label: 'State, province or region', autocomplete: 'shipping address-level1', maxlength: 100 })),
            h('div', { class: 'field-row' },
              control({ name: 'shipping_address.postal_code', label: 'Postal code', required: true, autocomplete: 'shipping postal-code', maxlength: 20, spellcheck: 'false' }),
              control({ name: 'shipping_address.country', label: 'Country', kind: 'select', required: true, autocomplete: 'shipping country', options: countryOptions(defaultCountry()) })),
            control({ name: 'shipping_address.phone', label: 'Phone', type: 'tel', autocomplete: 'shipping tel', maxlength: 30, hint: 'For the courier, if they need to reach you' }))),
        h('section', { class: 'checkout-section', 'aria-labelledby': 'note-title' },
          h('h2', { id: 'note-title' }, 'Note'),
          control({ name: 'note', label: 'A note for the shop', kind: 'textarea', maxlength: 1000 })),
        paymentNote(config)),
      review(cart));

    const submit = form.querySelector('.place-order');

    function controlOf(name) {
      const f = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
      return f ? f.querySelector('input, select, textarea') : null;
    }

    function clearErrors() {
      for (const f of form.querySelectorAll('.field')) {
        f.querySelector('input, select, textarea').removeAttribute('aria-invalid');
        const line = f.querySelector('.field-error');
        line.textContent = '';
        line.hidden = true;
      }
      for (const li of form.querySelectorAll('.review-line.has-error')) li.classList.remove('has-error');
      status.replaceChildren();
    }

    // The API's error: field messages next to their fields, all of them in the summary,
    // which takes the focus.
    function showError(error, { title = 'Your order was not placed' } = {}) {
      clearErrors();
      const items = [];
      for (const [name, message] of Object.entries(error.fields || {})) {
        const el = controlOf(name);
        if (el) {
          const f = el.closest('.field');
          const line = f.querySelector('.field-error');
          const label = f.querySelector('label').firstChild.textContent;
          el.setAttribute('aria-invalid', 'true');
          line.textContent = message;
          line.hidden = false;
          items.push({ message: `${label}: ${message}`, control: el });
        } else if (name.startsWith('items.')) {
          const li = form.querySelector(`.review-line[data-product-id="${CSS.escape(name.slice(6))}"]`);
          if (li) li.classList.add('has-error');
          items.push({ message });
        } else {
          items.push({ message });
        }
      }
      let message = error.message;
      if (error.code === 'INSUFFICIENT_STOCK' || error.code === 'PRODUCT_UNAVAILABLE') {
        message = 'Some items sold out while you were checking out. Change them in your cart, then place the order again.';
      } else if (error.code === 'EMPTY_CART') {
        message = 'Your cart is empty: there is nothing to order.';
      } else if (error.code === 'VALIDATION_FAILED' && items.length) {
        message = 'Check the fields below.';
      }
      const summary = errorSummary({ title, message, items });
      if (error.code === 'INSUFFICIENT_STOCK' || error.code === 'PRODUCT_UNAVAILABLE' || error.code === 'EMPTY_CART') {
        summary.querySelector('.error-summary-body').append(
          h('p', {}, h('a', { class: 'button button-secondary button-small', href: '/cart' }, 'Go to your cart')));
      }
      status.replaceChildren(summary);
      summary.focus();
    }

    function body() {
      const value = (name) => {
        const el = controlOf(name);
        return el ? el.value.trim() : '';
      };
      const address = {};
      for (const key of ['name', 'line1', 'line2', 'city', 'region', 'postal_code', 'country', 'phone']) {
        address[key] = value(`shipping_address.${key}`);
      }
      const out = { shipping_address: address };
      const email = value('email');
      if (email) out.email = email;
      const note = value('note');
      if (note) out.note = note;
      return out;
    }

    // One key per attempt; kept after no answer (offline, a 5xx: the order may or may
    // not exist), renewed after a definite answer (the server made no order).
    let attemptKey = null;
    let submitting = false;

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (submitting) return;
      submitting = true;
      submit.disabled = true;
      submit.textContent = 'Placing order…';
      form.setAttribute('aria-busy', 'true');
      if (!attemptKey) attemptKey = crypto.randomUUID();
      let placed = false;
      try {
        const result = await placeOrder(body(), attemptKey);
        if (!ctx.isCurrent()) return;
        if (result.ok) {
          placed = true;
          cartEmptied();
          ctx.navigate(`/orders/${encodeURIComponent(result.data.id)}/confirmation`, { replace: true });
          return;
        }
        const noAnswer = result.status === 0 || result.status >= 500 || result.status === 429;
        if (!noAnswer) attemptKey = null;
        if (result.status === 401) {
          ctx.navigate('/account/login?next=/checkout', { replace: true });
          return;
        }
        showError(noAnswer
          ? { ...result.error, message: `${result.error.message} Your order may not have been placed: press “Place order” again — it will not be placed twice.` }
          : result.error);
      } catch (e) {
        console.error(e);
        showError({ message: 'Something went wrong. Please try again.' });
      } finally {
        submitting = false;
        form.setAttribute('aria-busy', 'false');
        if (!placed) {
          submit.disabled = false;
          submit.textContent = 'Place order';
        }
      }
    });

    const node = h('div', { class: 'checkout-page' },
      breadcrumb([{ label: 'Cart', href: '/cart' }, { label: 'Checkout' }]),
      h('div', { class: 'checkout-head' },
        h('h1', { class: 'page-title', id: 'checkout-title' }, 'Checkout'),
        h('p', { class: 'page-lead' }, `${plural(Number(cart.item_count) || 0, 'item')} · ${money(cart.total_cents, cart.currency)}`)),
      form);
    return { view: 'checkout', title: 'Checkout', node, announce: 'Checkout' };
  },
};
