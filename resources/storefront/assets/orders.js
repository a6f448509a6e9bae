// The signed-in shopper's orders and the shop's payment set-up (all through
// authFetch: Bearer token, one retry after a refresh). Every call answers
// { ok, status, data } or { ok: false, status, error } like api() does.
import { api } from './api.js';
import { authFetch } from './auth.js';

function postJson(path, body, headers = {}) {
  return authFetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

// POST /api/orders: the cart becomes an order. `idempotencyKey` is one per checkout
// attempt, sent again when the shopper retries after no answer, so the server makes
// the order once however often the request arrives (a double click, a retry after a
// timeout whose first request did go through).
export function placeOrder(body, idempotencyKey) {
  return postJson('/api/orders', body, { 'Idempotency-Key': idempotencyKey });
}

export function fetchOrders() {
  return authFetch('/api/orders');
}

export function fetchOrder(id) {
  return authFetch(`/api/orders/${encodeURIComponent(id)}`);
}

export function cancelOrder(id, reason) {
  return postJson(`/api/orders/${encodeURIComponent(id)}/cancel`, reason ? { reason } : {});
}

// GET /api/payment/config -> { provider: 'manual' | 'stripe', publishable_key?, instructions? }.
// Asked once per page load. A shop that does not answer it takes manual payment.
let configRequest = null;
export function paymentConfig() {
  if (!configRequest) {
    configRequest = api('/api/payment/config').then((result) => {
      if (result.ok && result.data && typeof result.data.provider === 'string') return result.data;
      if (result.status !== 404) configRequest = null; // ask again next time
      return { provider: 'manual' };
    });
  }
  return configRequest;
}

// POST /api/payment/create-intent { order_id } -> { client_secret, amount }
export function createPaymentIntent(orderId) {
  return postJson('/api/payment/create-intent', { order_id: Number(orderId) });
}
