// "Add to cart" with a quantity, on the product page (large) and on grid cards
// (compact). The server decides what fits the stock; its message (INSUFFICIENT_STOCK,
// PRODUCT_UNAVAILABLE, the quantity limit) is shown next to the quantity.
import { addToCart, lastCart } from '../cart.js';
import { h } from '../dom.js';
import { formatCount } from '../format.js';
import { quantityInput, readQuantity } from './quantity.js';

const MAX_PER_LINE = 99;
let nextId = 0;

// The message for a failed add, from the error envelope.
function addError(error, productId) {
  const fields = error.fields || {};
  return fields[`items.${productId}`] || fields.quantity || fields.product_id || error.message;
}

function inCart(productId) {
  const cart = lastCart();
  const line = cart ? cart.items.find((i) => Number(i.product_id) === Number(productId)) : null;
  return line ? Number(line.quantity) : 0;
}

export function addToCartForm(product, { compact = false } = {}) {
  const stock = Number(product.stock);
  if (!(stock > 0)) {
    return h('div', { class: compact ? 'add-to-cart is-compact' : 'add-to-cart' },
      h('button', { type: 'button', class: compact ? 'button button-small' : 'button button-large', disabled: true },
        compact ? 'Sold out' : 'Out of stock'));
  }

  const id = ++nextId;
  const errorId = `add-error-${id}`;
  // The shopper may ask for more than the stock: the server answers with how many
  // there are, which is more useful than a field that silently stops at the limit.
  const qty = quantityInput({
    value: 1,
    max: MAX_PER_LINE,
    label: compact ? `Quantity of ${product.name}` : 'Quantity',
    hideLabel: compact,
    itemName: product.name,
    errorId,
    compact,
  });
  const error = h('p', { class: 'field-error add-error', id: errorId, hidden: true });
  const status = h('p', { class: 'add-status', role: 'status' });
  // On a card the name says which product (the visible words first: WCAG 2.5.3).
  const button = h('button', {
    type: 'submit',
    class: compact ? 'button button-small add-button' : 'button button-large add-button',
    'aria-label': compact ? `Add to cart: ${product.name}` : null,
  }, 'Add to cart');

  const form = h('form', {
    class: compact ? 'add-to-cart is-compact' : 'add-to-cart',
    method: 'post',
    novalidate: true,
    'aria-label': compact ? `Add ${product.name} to cart` : 'Add to cart',
    dataset: { productId: String(product.id) },
  },
  h('div', { class: 'add-row' }, qty.node, button),
  error,
  status);

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
    qty.input.setAttribute('aria-invalid', 'true');
    status.replaceChildren();
  }

  function clear() {
    error.textContent = '';
    error.hidden = true;
    qty.input.removeAttribute('aria-invalid');
  }

  qty.input.addEventListener('input', clear);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    const quantity = readQuantity(qty.input);
    if (quantity === null) {
      showError(`Choose a quantity from 1 to ${MAX_PER_LINE}.`);
      qty.input.focus();
      return;
    }
    clear();
    form.setAttribute('aria-busy', 'true');
    button.disabled = true;
    status.textContent = 'Adding…';
    try {
      const result = await addToCart(product.id, quantity);
      if (!result.ok) {
        showError(addError(result.error, product.id));
        qty.input.focus();
        return;
      }
      const have = inCart(product.id);
      status.replaceChildren(
        h('span', { class: 'add-done' }, compact ? 'Added.' : `Added to your cart${have > quantity ? ` (${formatCount(have)} in total)` : ''}.`),
        ' ',
        h('a', { href: '/cart', class: 'add-view' }, 'View cart'));
      qty.input.value = '1';
      qty.sync();
    } catch (e) {
      console.error(e);
      showError('Something went wrong. Please try again.');
    } finally {
      form.setAttribute('aria-busy', 'false');
      button.disabled = false;
      if (status.textContent === 'Adding…') status.replaceChildren();
    }
  });

  return form;
}
