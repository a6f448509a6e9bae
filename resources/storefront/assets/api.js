// Talks to the shop's JSON API and unwraps its envelope:
// {"success":true,"data":...} or {"success":false,"error":{"code","message"}}.
// Never throws: every outcome is { ok, status, data } or { ok: false, status, error }
// (error.fields: per-field messages; error.retryAfter: seconds, from Retry-After).
// Conditional requests (ETag / 304) are left to the browser's HTTP cache.
export async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, {
      ...options,
      headers: { Accept: 'application/json', ...(options.headers || {}) },
    });
  } catch {
    return {
      ok: false, status: 0,
      error: { code: 'NETWORK', message: 'The shop could not be reached. Check your connection and try again.' },
    };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not our JSON (a proxy's error page, an empty 503...).
  }
  if (body && body.success === true) return { ok: true, status: response.status, data: body.data };
  const error = body && body.error && typeof body.error.message === 'string'
    ? body.error
    : { code: `HTTP_${response.status}`, message: `The shop answered with an unexpected error (HTTP ${response.status}).` };
  const retryAfter = Number(response.headers.get('Retry-After'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) error.retryAfter = retryAfter;
  return { ok: false, status: response.status, error };
}

// POST a JSON body (or none): api() with the method, body and content type filled in.
export function postJson(path, body, { headers = {}, ...options } = {}) {
  return api(path, {
    ...options,
    method: 'POST',
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// GET /api/products -> {products, pagination:{page, per_page, total}}
export function fetchProducts({ page = 1, perPage = 24, category, sort } = {}) {
  return api(`/api/products${query({ page, per_page: perPage, category, sort })}`);
}

// GET /api/products/{id} -> product
export function fetchProduct(id) {
  return api(`/api/products/${encodeURIComponent(id)}`);
}

// GET /api/products/search?q= -> [product] (ranked, at most 50)
export function searchProducts(q) {
  return api(`/api/products/search${query({ q })}`);
}

// GET /api/categories -> [{id, slug, name, description, product_count}]
export function fetchCategories() {
  return api('/api/categories');
}

export function fetchHealth() {
  return api('/api/health');
}
