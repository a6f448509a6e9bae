// Talks to the shop's JSON API and unwraps its envelope:
// {"success":true,"data":...} or {"success":false,"error":{"code","message"}}.
export async function api(path, options = {}) {
  try {
    const response = await fetch(path, {
      headers: { Accept: 'application/json', ...(options.headers || {}) },
      ...options,
    });
    const body = await response.json();
    if (body.success) return { ok: true, status: response.status, data: body.data };
    return { ok: false, status: response.status, error: body.error };
  } catch (e) {
    return { ok: false, status: 0, error: { code: 'NETWORK', message: String(e) } };
  }
}
