import { h, icon } from '../dom.js';

// An error the reader should see at once (role=alert), with the API's own message and
// an optional retry.
export function errorBanner(message, { title = 'Something went wrong', onRetry } = {}) {
  return h('div', { class: 'banner banner-error', role: 'alert' },
    icon('alert', 'icon banner-icon'),
    h('div', { class: 'banner-text' },
      h('strong', {}, title),
      h('p', { class: 'banner-message' }, message)),
    onRetry ? h('button', { type: 'button', class: 'button button-secondary', onClick: onRetry }, 'Try again') : null);
}

// Good news or a next step (role=status: announced, not interrupting).
export function noticeBanner(message, { title } = {}) {
  return h('div', { class: 'banner banner-notice', role: 'status' },
    h('div', { class: 'banner-text' },
      title ? h('strong', {}, title) : null,
      h('p', { class: 'banner-message' }, message)));
}
