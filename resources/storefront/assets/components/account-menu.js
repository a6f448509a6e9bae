// The header's account corner: "Sign in" for visitors; for a signed-in customer a
// button with their name that opens a small menu (Your account, My orders, Sign out).
import { h } from '../dom.js';

export function displayName(user) {
  return (user.first_name || '').trim() || user.email;
}

// slot: the header element; state: 'pending' | 'signed-in' | 'signed-out'.
export function renderAccountMenu(slot, user, state, { onSignOut }) {
  slot.dataset.auth = state;
  if (state === 'pending') {
    slot.replaceChildren();
    return;
  }
  if (!user) {
    slot.replaceChildren(h('a', { class: 'account-link', href: '/account/login' }, 'Sign in'));
    return;
  }

  const menu = h('ul', { class: 'account-menu', id: 'account-menu', hidden: true },
    h('li', {}, h('a', { href: '/account', class: 'account-menu-item' }, 'Your account')),
    h('li', {}, h('a', { href: '/orders', class: 'account-menu-item' }, 'My orders')),
    h('li', {}, h('button', { type: 'button', class: 'account-menu-item', dataset: { action: 'sign-out' } }, 'Sign out')));
  const toggle = h('button', {
    type: 'button', class: 'account-toggle', 'aria-expanded': 'false', 'aria-controls': 'account-menu',
  },
  h('span', { class: 'account-avatar', 'aria-hidden': 'true' }, displayName(user).slice(0, 1).toUpperCase()),
  h('span', { class: 'account-name' }, displayName(user)),
  h('span', { class: 'sr-only' }, ', account menu'));

  function setOpen(open) {
    toggle.setAttribute('aria-expanded', String(open));
    menu.hidden = !open;
  }
  toggle.addEventListener('click', () => setOpen(menu.hidden));
  menu.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('a, button') : null;
    if (!target) return;
    setOpen(false);
    if (target.dataset.action === 'sign-out') onSignOut();
  });
  slot.replaceChildren(toggle, menu);
}

// Closes an open menu on Escape (focus back on its button) or a click elsewhere.
export function closeAccountMenuOn(slot) {
  const close = (refocus) => {
    const toggle = slot.querySelector('.account-toggle');
    const menu = slot.querySelector('.account-menu');
    if (!toggle || !menu || menu.hidden) return;
    menu.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    if (refocus) toggle.focus();
  };
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && slot.contains(document.activeElement)) close(true);
  });
  document.addEventListener('click', (event) => {
    if (!(event.target instanceof Node) || !slot.contains(event.target)) close(false);
  });
}
