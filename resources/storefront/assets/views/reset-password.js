// /reset-password?token=...: the link from the reset mail. A new password ends every
// session of the account (the server clears the refresh cookie), so this tab forgets
// its own too, then the customer signs in with the new password.
import { postJson } from '../api.js';
import { sessionEnded } from '../auth.js';
import { h } from '../dom.js';
import { errorBanner } from '../components/banner.js';
import { authLayout } from '../components/auth-layout.js';
import { accountForm, field, showError } from '../components/form.js';

function badLink(message) {
  return authLayout({
    heading: 'Choose a new password',
    footer: h('p', {}, h('a', { href: '/account/forgot-password' }, 'Ask for a new link')),
  }, errorBanner(message, { title: 'This link does not work' }));
}

export default {
  async load(ctx) {
    const token = ctx.query.get('token') || '';
    if (!token) {
      return {
        view: 'reset-password', title: 'Choose a new password',
        node: badLink('The link is incomplete. Copy the whole link from the email, or ask for a new one.'),
      };
    }

    const form = accountForm({
      label: 'Choose a new password',
      submitLabel: 'Change password',
      async onSubmit(f, v) {
        const result = await postJson('/api/auth/reset-password', { token, password: v.password });
        if (!ctx.isCurrent()) return;
        if (!result.ok) {
          if (result.error.code === 'INVALID_TOKEN') {
            f.replaceWith(errorBanner('This link has expired or has already been used. Ask for a new one.',
              { title: 'This link does not work' }));
            return;
          }
          showError(f, result.error, { title: 'We could not change your password' });
          return;
        }
        sessionEnded();
        ctx.navigate('/account/login?notice=password-reset', { replace: true });
      },
    },
    field({
      name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password',
      hint: 'At least 8 characters.', minlength: 8, maxlength: 1024,
    }));

    const node = authLayout({
      heading: 'Choose a new password',
      lead: 'After the change, every device signed in to your account is signed out.',
    }, form);
    return { view: 'reset-password', title: 'Choose a new password', node, announce: 'Choose a new password' };
  },
};
