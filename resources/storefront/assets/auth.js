// The signed-in customer. The access token lives in this module's memory only — never
// in localStorage, sessionStorage or a readable cookie — so a reload starts without
// one and asks POST /api/auth/refresh, which reads the HttpOnly `shopdesk_refresh`
// cookie (SameSite=Strict, Path=/api/auth) and answers with a new session.
//
// The one thing script keeps is a cookie that says only "a session may exist"
// (`shopdesk_session=1`, no secret in it): without it a signed-out visitor's every page
// load would POST /refresh, get 401 and put an error in the console.
//
//   await ready()            the page-load refresh has settled
//   currentUser()            the user object, or null
//   subscribe(fn)            fn(user|null) after every sign-in, sign-out or user change
//   authFetch(path, opts)    api() with the Bearer token; one retry after a refresh
//                            when the token has expired (401 TOKEN_EXPIRED)
import { api, postJson } from './api.js';

const HINT_COOKIE = 'shopdesk_session';
const HINT_MAX_AGE = 30 * 86_400; // the refresh token's lifetime
const REFRESH_LEAD_S = 60; // refresh this long before the access token runs out
const RETRY_S = 30; // after a refresh that could not reach the shop

let session = null; // { token, user, expiresAt (ms) }
let status = 'pending'; // 'pending' | 'signed-in' | 'signed-out'
let refreshTimer = null;
let refreshing = null;
let readyPromise = null;
const listeners = new Set();

// Other tabs of the shop hear about sign-in and sign-out (never a token).
const channel = 'BroadcastChannel' in window ? new BroadcastChannel('shopdesk-auth') : null;

export function currentUser() {
  return session ? session.user : null;
}

export function authStatus() {
  return status;
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function notify() {
  for (const fn of listeners) {
    try {
      fn(currentUser());
    } catch (error) {
      console.error(error);
    }
  }
}

function hasHint() {
  return document.cookie.split(';').some((c) => c.trim().startsWith(`${HINT_COOKIE}=1`));
}

function setHint(on) {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${HINT_COOKIE}=${on ? '1' : ''}; Path=/; SameSite=Strict; Max-Age=${on ? HINT_MAX_AGE : 0}${secure}`;
}

function schedule(expiresIn) {
  clearTimeout(refreshTimer);
  const lead = Math.min(REFRESH_LEAD_S, expiresIn / 5);
  refreshTimer = setTimeout(() => { refresh(); }, Math.max(5, expiresIn - lead) * 1000);
}

// A session answer ({token, expires_in, user, ...}) becomes the current session.
function accept(data) {
  const wasSignedIn = status === 'signed-in';
  session = { token: data.token, user: data.user, expiresAt: Date.now() + Number(data.expires_in) * 1000 };
  status = 'signed-in';
  setHint(true);
  schedule(Number(data.expires_in) || 300);
  if (!wasSignedIn && channel) channel.postMessage('signed-in');
  notify();
}

// Forgets the session here (the server side is the caller's business).
function forget({ broadcast = true } = {}) {
  const wasSignedIn = status === 'signed-in';
  clearTimeout(refreshTimer);
  session = null;
  status = 'signed-out';
  setHint(false);
  if (wasSignedIn && broadcast && channel) channel.postMessage('signed-out');
  notify();
}

// Refresh tokens rotate and a reused one revokes the whole family, so two tabs must
// never refresh with the same cookie at once: a Web Lock serialises them (the second
// one then sends the cookie the first one received).
function exclusive(fn) {
  return navigator.locks ? navigator.locks.request('shopdesk-auth-refresh', fn) : fn();
}

export function refresh() {
  if (!refreshing) {
    refreshing = exclusive(async () => {
      const result = await postJson('/api/auth/refresh');
      if (result.ok) {
        accept(result.data);
      } else if (result.status === 0 || result.status === 429 || result.status >= 500) {
        // Not an answer about the session: keep it, try again shortly.
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(() => { refresh(); }, (result.error.retryAfter || RETRY_S) * 1000);
        if (status === 'pending') { status = 'signed-out'; notify(); }
      } else {
        forget();
      }
      return result;
    }).finally(() => { refreshing = null; });
  }
  return refreshing;
}

// Restores the session at page load: resolves once it is known whether there is one.
export function ready() {
  if (!readyPromise) {
    readyPromise = hasHint()
      ? refresh().then(() => undefined)
      : Promise.resolve().then(() => { status = 'signed-out'; notify(); });
    // A tab left in the background may have slept through its refresh timer.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && session && session.expiresAt - Date.now() < REFRESH_LEAD_S * 1000) {
        refresh();
      }
    });
    if (channel) {
      channel.addEventListener('message', (event) => {
        if (event.data === 'signed-out' && session) forget({ broadcast: false });
        else if (event.data === 'signed-in' && !session) refresh();
      });
    }
  }
  return readyPromise;
}

function bearer(options) {
  return { ...options, headers: { ...(options.headers || {}), Authorization: `Bearer ${session.token}` } };
}

const SIGNED_OUT = { code: 'UNAUTHORIZED', message: 'Please sign in to continue.' };

export async function authFetch(path, options = {}) {
  await ready();
  if (session && session.expiresAt - Date.now() < 5_000) await refresh();
  if (!session) return { ok: false, status: 401, error: { ...SIGNED_OUT } };
  let result = await api(path, bearer(options));
  if (!result.ok && result.status === 401 && result.error.code === 'TOKEN_EXPIRED') {
    await refresh();
    if (!session) return { ok: false, status: 401, error: { ...SIGNED_OUT } };
    result = await api(path, bearer(options));
  }
  return result;
}

// authFetch() for a JSON POST.
export function authPost(path, body) {
  return authFetch(path, {
    method: 'POST',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

// POST /api/auth/register {email, password, first_name, last_name}
export async function register(fields) {
  const result = await postJson('/api/auth/register', fields);
  if (result.ok) accept(result.data);
  return result;
}

// POST /api/auth/login {email, password, totp?, recovery_code?}
export async function login(fields) {
  const result = await postJson('/api/auth/login', fields);
  if (result.ok) accept(result.data);
  return result;
}

// POST /api/auth/logout: the server ends the refresh token and clears its cookie;
// this tab (and the others) forget the session whatever the answer.
export async function logout() {
  await exclusive(() => postJson('/api/auth/logout'));
  forget();
}

// After a password reset the server has ended every session.
export function sessionEnded() {
  if (session || status !== 'signed-out') forget();
  else setHint(false);
}

// A fresher copy of the user (GET /api/auth/me) or a known change (email verified).
export function updateUser(changes) {
  if (!session) return;
  session.user = { ...session.user, ...changes };
  notify();
}
