// Helpers for the account specs: unique customers, the shop's outgoing mail (read from
// the email_outbox table of the test shop's embedded PostgreSQL with psql: there is no
// SMTP in tests), and RFC 6238 codes computed independently of the server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

let counter = 0;
export function newCustomer(label = 'customer') {
  const id = `${Date.now().toString(36)}${(++counter).toString(36)}${randomBytes(2).toString('hex')}`;
  return {
    first_name: 'Ada',
    last_name: 'Lovelace',
    email: `${label}-${id}@example.test`,
    password: `analytical engine ${id}`,
  };
}

// The embedded cluster's socket directory: the log names it ("starting PostgreSQL on
// <dir>"; as root, or with a long data path, it is not under the data directory),
// falling back to <dataDir>/database/run. The socket file gives the port.
function socket(server) {
  const matches = [...server.log().matchAll(/starting PostgreSQL on (\S+)/g)];
  const dir = matches.length ? matches[matches.length - 1][1] : join(server.dataDir, 'database', 'run');
  const file = readdirSync(dir).find((f) => /^\.s\.PGSQL\.\d+$/.test(f));
  assert.ok(file, `no PostgreSQL socket in ${dir}`);
  return { dir, port: file.split('.').pop() };
}

export function psql(server, sql) {
  const { dir, port } = socket(server);
  return execFileSync('psql', ['-h', dir, '-p', port, '-U', 'shopdesk', '-d', 'shopdesk', '-X', '-q', '-At', '-c', sql],
    { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '10' }, timeout: 20_000 });
}

function literal(text) {
  return `'${String(text).replaceAll("'", "''")}'`;
}

// The newest mail to `to` whose body has a link to `path` (/verify-email or
// /reset-password), waited for: the server queues it as it answers. Returns the
// link's path and query, to be opened on the test shop.
export async function mailedLink(server, to, path, { timeoutMs = 10_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const pattern = new RegExp(`https?://[^\\s"'<>]*${path.replace(/[/]/g, '\\/')}\\?token=[A-Za-z0-9_\\-.%~]+`);
  for (;;) {
    const body = psql(server, `select body_text from email_outbox where to_address = ${literal(to)} ` +
      `and body_text like ${literal(`%${path}?token=%`)} order by id desc limit 1`);
    const m = pattern.exec(body);
    if (m) {
      const url = new URL(m[0]);
      return `${url.pathname}${url.search}`;
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} with a ${path} link within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// RFC 4648 base32 (no padding needed).
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of clean) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits) — RFC 4226 dynamic truncation.
export function totp(secretBase32, { time = Date.now(), step = 30, digits = 6 } = {}) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 1000 / step)));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}

// A code for a later time step than `usedAtMs` (the server refuses a step it has
// already accepted: replay protection), waiting for that step when needed.
export async function totpAfter(secretBase32, usedAtMs) {
  const usedStep = Math.floor(usedAtMs / 30_000);
  const wait = (usedStep + 1) * 30_000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 250));
  return freshTotp(secretBase32);
}

// A code that stays valid for a few seconds more (not in the last moments of its step).
export async function freshTotp(secretBase32) {
  const left = 30 - (Math.floor(Date.now() / 1000) % 30);
  if (left < 4) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 200));
  return totp(secretBase32);
}
