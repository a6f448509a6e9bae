// The shopper's cart, shared by the header badge, the product pages and the cart and
// checkout views. One owner at a time:
//  - signed in: the account's cart, with the Bearer token (auth.js);
//  - a guest: a cart the server made on the first POST /api/cart and named by the
//    random token in its answer (data.cart_token), sent back in X-Cart-Token. The token
//    is kept in localStorage: it reaches one cart of goods, never an account or an
//    order, and the cart has to survive a reload and the sign-in page.
// When a guest signs in, the guest cart joins the account's (POST /api/cart/merge)
// before any other cart request, and the token is forgotten.
//
//   loadCart()                     GET  -> { ok, data: cart } | { ok: false, error }
//   addToCart(productId, qty)      POST
//   setQuantity(itemId, qty)       PATCH
//   removeItem(itemId)             DELETE
//   lastCart(), subscribeCart(fn)  the latest cart seen (fn(cart) after every change)
import { api } from './api.js';
import { authFetch, authStatus, currentUser, ready, subscribe } from './auth.js';

const TOKEN_KEY = 'shopdesk_cart_token';
const EMPTY = Object.freeze({ items: [], total_cents: 0, currency: 'USD', item_count: 0 });

let latest = null; // the last cart an answer carried
const listeners = new Set();

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the guest cart lasts as long as the page
  }
}

let memoryToken = null;
function guestToken() {
  const s = storage();
  return (s ? s.getItem(TOKEN_KEY) : memoryToken) || null;
}

function setGuestToken(token) {
  const s = storage();
  if (s) {
    if (token) s.setItem(TOKEN_KEY, token);
    else s.removeItem(TOKEN_KEY);
  } else {
    memoryToken = token;
  }
}

export function lastCart() {
  return latest;
}

export function subscribeCart(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function publish(cart) {
  latest = { ...EMPTY, ...cart, items: Array.isArray(cart.items) ? cart.items : [] };
  for (const fn of listeners) {
    try {
      fn(latest);
    } catch (error) {
      console.error(error);
    }
  }
}

// A line the shop cannot sell as it stands, and how the shopper can fix it:
//   { kind: 'sold-out' }           nothing left: remove it
//   { kind: 'short', stock }       fewer left than wanted: lower it to `stock`
//   { kind: 'unavailable' }        withdrawn from sale: remove it
// null when the line is fine.
export function lineProblem(line) {
  const stock = Number(line.stock);
  const quantity = Number(line.quantity);
  if (Number.isFinite(stock) && stock <= 0) return { kind: 'sold-out', stock: 0 };
  if (Number.isFinite(stock) && stock < quantity) return { kind: 'short', stock };
  if (line.available === false) return { kind: 'unavailable', stock };
  return null;
}

// The guest cart joins the account's once; concurrent callers share the one request.
let merging = null;
function mergeGuestCart() {
  const token = guestToken();
  if (!token || !currentUser()) return Promise.resolve(null);
  if (!merging) {
    merging = (async () => {
      const result = await authFetch('/api/cart/merge', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ cart_token: token }),
      });
      // Merged, or a token the server does not take (spent, expired, malformed): either
      // way it is of no further use. Anything else (offline, 5xx) keeps it for a retry.
      if (result.ok || (result.status >= 400 && result.status < 500 && result.status !== 401 && result.status !== 429)) {
        if (guestToken() === token) setGuestToken(null);
      }
      if (result.ok) publish(result.data);
      return result;
    })().finally(() => { merging = null; });
  }
  return merging;
}

async function request(path, { method = 'GET', body } = {}) {
  await ready();
  const init = {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  let result;
  if (currentUser()) {
    await mergeGuestCart();
    result = await authFetch(path, init);
  } else {
    const token = guestToken();
    if (!token && method !== 'POST') {
      // No cart yet: nothing to ask the server about.
      if (method === 'GET') result = { ok: true, status: 200, data: { ...EMPTY } };
      else result = { ok: false, status: 404, error: { code: 'NOT_FOUND', message: 'That item is not in your cart.' } };
    } else {
      if (token) init.headers['X-Cart-Token'] = token;
      result = await api(path, init);
      // A token the server does not take (not one it made): start a new cart.
      if (token && result.status === 400 && result.error.code === 'INVALID_REQUEST' && guestToken() === token) {
        setGuestToken(null);
      }
    }
  }
  if (result.ok && result.data) {
    if (!currentUser() && typeof result.data.cart_token === 'string' && result.data.cart_token) {
      setGuestToken(result.data.cart_token);
    }
    publish(result.data);
  }
  return result;
}

function ownerKey() {
  const user = currentUser();
  if (user) return `user:${user.id ?? user.email}`;
  return authStatus() === 'pending' ? 'pending' : 'guest';
}

// Readers at the same moment (the header after sign-in, the view being opened) share
// one GET, as long as the cart's owner is still the same.
let loading = null;
let loadingFor = null;
export function loadCart() {
  const owner = ownerKey();
  if (!loading || loadingFor !== owner) {
    const current = request('/api/cart').finally(() => { if (loading === current) loading = null; });
    loading = current;
    loadingFor = owner;
  }
  return loading;
}

export function addToCart(productId, quantity) {
  return request('/api/cart', { method: 'POST', body: { product_id: Number(productId), quantity: Number(quantity) } });
}

export function setQuantity(itemId, quantity) {
  return request(`/api/cart/items/${encodeURIComponent(itemId)}`, { method: 'PATCH', body: { quantity: Number(quantity) } });
}

export function removeItem(itemId) {
  return request(`/api/cart/items/${encodeURIComponent(itemId)}`, { method: 'DELETE' });
}

// After an order: the server emptied the account's cart.
export function cartEmptied() {
  publish({ ...EMPTY, currency: latest ? latest.currency : EMPTY.currency });
}

// The header badge needs a count at page load and whenever the owner changes: after
// sign-in (the guest cart merges), after sign-out (back to the guest cart, if any).
let lastOwner;
export function watchCart() {
  subscribe(() => {
    const owner = ownerKey();
    if (owner === lastOwner) return;
    lastOwner = owner;
    loadCart();
  });
  // Another tab created, merged or dropped the guest cart.
  window.addEventListener('storage', (event) => {
    if (event.key === TOKEN_KEY && !currentUser()) loadCart();
  });
}
