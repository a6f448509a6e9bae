// /verify-email?token=...: the link from the verification mail, checked on arrival.
import { postJson } from '../api.js';
import { currentUser, ready, updateUser } from '../auth.js';
import { h } from '../dom.js';
import { errorBanner, noticeBanner } from '../components/banner.js';
import { authLayout } from '../components/auth-layout.js';

export default {
  async load(ctx) {
    const token = ctx.query.get('token') || '';
    const result = token
      ? await postJson('/api/auth/verify-email', { token })
      : { ok: false, error: { code: 'INVALID_TOKEN', message: 'The link is incomplete.' } };
    await ready();
    const signedIn = Boolean(currentUser());
    const next = signedIn
      ? h('p', { class: 'auth-actions' }, h('a', { class: 'button', href: '/account' }, 'Go to your account'))
      : h('p', { class: 'auth-actions' }, h('a', { class: 'button', href: '/account/login' }, 'Sign in'));

    if (result.ok) {
      updateUser({ email_verified: true });
      return {
        view: 'verify-email', title: 'Email verified', announce: 'Your email address is verified.',
        node: authLayout({ heading: 'Email verified' },
          noticeBanner('Thank you: your email address is verified.', { title: 'All done' }), next),
      };
    }
    const message = result.error.code === 'INVALID_TOKEN'
      ? `This verification link has expired or has already been used.${signedIn ? ' You can ask for a new one on your account page.' : ' Sign in to ask for a new one.'}`
      : result.error.message;
    return {
      view: 'verify-email', title: 'Email not verified',
      node: authLayout({ heading: 'Verify your email' }, errorBanner(message, { title: 'We could not verify your email' }), next),
    };
  },
};
