import { formatCount, plural } from '../format.js';

// The header's cart link: a count badge that follows the cart (hidden at zero), and a
// name that says the count to screen readers ("Cart, 3 items").
export function renderCartLink(link, cart) {
  const count = cart ? Number(cart.item_count) || 0 : 0;
  const badge = link.querySelector('.cart-count');
  link.dataset.count = String(count);
  link.setAttribute('aria-label', count ? `Cart, ${plural(count, 'item')}` : 'Cart, empty');
  if (badge) {
    badge.textContent = count > 99 ? '99+' : formatCount(count);
    badge.hidden = count === 0;
  }
}

// aria-current on the link while the cart page is shown.
export function markCartLink(link, path) {
  if (/^\/cart\/?$/.test(path)) link.setAttribute('aria-current', 'page');
  else link.removeAttribute('aria-current');
}
