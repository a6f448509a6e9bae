import { h } from '../dom.js';

// The narrow card the sign-in, registration and password pages sit in.
export function authLayout({ heading, lead, footer }, ...content) {
  return h('section', { class: 'auth-page' },
    h('div', { class: 'auth-card' },
      h('h1', { class: 'auth-title' }, heading),
      lead ? h('p', { class: 'auth-lead' }, lead) : null,
      ...content),
    footer ? h('div', { class: 'auth-footer' }, footer) : null);
}

// Where to go after signing in: ?next= when it is a path on this site, else /account.
export function nextPath(query, fallback = '/account') {
  const next = query.get('next') || '';
  return /^\/(?![/\\])[^\s]*$/.test(next) && !next.startsWith('/account/') ? next : fallback;
}

// The other account page (sign in <-> register), keeping where to go afterwards
// (e.g. back to checkout).
export function withNext(path, query) {
  const next = nextPath(query, '');
  return next ? `${path}?next=${encodeURIComponent(next)}` : path;
}
