// Helpers for the checkout spec: an administrator made the way operators make one
// (`shopdesk create-admin`, the password on stdin) against the test shop's running
// embedded PostgreSQL, the admin API as ground truth, and the shop's catalog set up
// through it (products with a known stock).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { newCustomer } from './accounts.mjs';
import { shopdeskBinary } from './paths.mjs';

// The embedded cluster's socket directory and port, as accounts.mjs finds them for
// psql: named in the log ("starting PostgreSQL on <dir>"), else <dataDir>/database/run.
function clusterSocket(server) {
  const matches = [...server.log().matchAll(/starting PostgreSQL on (\S+)/g)];
  const dir = matches.length ? matches[matches.length - 1][1] : join(server.dataDir, 'database', 'run');
  const file = readdirSync(dir).find((f) => /^\.s\.PGSQL\.\d+$/.test(f));
  assert.ok(file, `no PostgreSQL socket in ${dir}`);
  return { dir, port: file.split('.').pop() };
}

// `shopdesk create-admin --email E` with the password as one line on stdin. The shop
// is running and owns its cluster, so the command connects to that cluster's socket
// (--database-url) rather than starting a second one on the data directory.
export async function createAdmin(server, { timeoutMs = 60_000 } = {}) {
  const admin = newCustomer('admin');
  const { dir, port } = clusterSocket(server);
  const args = ['create-admin', '--email', admin.email,
    '--database-url', `host=${dir} port=${port} user=shopdesk dbname=shopdesk`,
    '--data-dir', server.dataDir, '--bcrypt-cost', '10'];
  const child = spawn(shopdeskBinary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; });
  child.stdin.end(`${admin.password}\n`);
  const result = await new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGTERM'); resolve({ timedOut: true }); }, timeoutMs);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }); });
    child.on('error', (error) => { clearTimeout(timer); resolve({ error }); });
  });
  assert.equal(result.code, 0, `shopdesk create-admin failed: ${JSON.stringify(result)}\n${output}`);
  return admin;
}

// The shop's JSON API with an optional Bearer token; returns { status, body, headers }.
export async function call(shop, method, path, { token, body, headers = {} } = {}) {
  const response = await fetch(`${shop.url}${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  return { status: response.status, body: json, headers: response.headers };
}

// `data` of a successful call, failing with the error envelope otherwise.
export async function callData(shop, method, path, options) {
  const { status, body } = await call(shop, method, path, options);
  assert.ok(body && body.success === true, `${method} ${path} answered ${status} ${JSON.stringify(body && body.error)}`);
  return body.data;
}

export async function signIn(shop, { email, password }) {
  const data = await callData(shop, 'POST', '/api/auth/login', { body: { email, password } });
  assert.ok(data.token, 'no access token');
  return data.token;
}

// A category and products with the given stock, through the admin API.
// products: [{ sku, name, price_cents, stock, description? }] -> the created products.
export async function createCatalog(shop, token, { category, products }) {
  const created = await callData(shop, 'POST', '/api/admin/categories', { token, body: category });
  const out = [];
  for (const p of products) {
    out.push(await callData(shop, 'POST', '/api/admin/products', {
      token,
      body: { currency: 'USD', description: `${p.name}, made to last.`, ...p, category_id: created.id, active: true },
    }));
  }
  return { category: created, products: out };
}

// Stock changes go through the ledger with a reason (restock, adjustment, damage...).
export function adjustStock(shop, token, productId, delta, reason = 'adjustment') {
  return callData(shop, 'POST', `/api/admin/products/${productId}/stock`, { token, body: { delta, reason, note: 'e2e' } });
}

export function adminOrder(shop, token, id) {
  return callData(shop, 'GET', `/api/admin/orders/${id}`, { token });
}

export function adminOrders(shop, token, query = '') {
  return callData(shop, 'GET', `/api/admin/orders${query}`, { token });
}
