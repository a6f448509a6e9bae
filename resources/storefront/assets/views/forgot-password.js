// /account/forgot-password: asks for a reset link. The answer is the same whether or
// not the address has an account; the mail says the rest.
import { postJson } from '../api.js';
import { h } from '../dom.js';
import { authLayout } from '../components/auth-layout.js';
import { accountForm, field, showError, showNotice } from '../components/form.js';

export default {
  async load(ctx) {
    const form = accountForm({
      label: 'Reset your password',
      submitLabel: 'Send reset link',
      async onSubmit(f, v) {
        const result = await postJson('/api/auth/forgot-password', { email: v.email });
        if (!ctx.isCurrent()) return;
        if (!result.ok) {
          showError(f, result.error, { title: 'We could not send the link' });
          return;
        }
        showNotice(f, result.data.message || 'If an account uses this address, a link to reset the password is on its way.',
          { title: 'Check your email' });
      },
    },
    field({ name: 'email', label: 'Email', type: 'email', autocomplete: 'email', maxlength: 254, spellcheck: 'false' }));

    const node = authLayout({
      heading: 'Forgot your password?',
      lead: 'Enter the email address of your account and we will send you a link to choose a new password.',
      footer: h('p', {}, 'Remembered it? ', h('a', { href: '/account/login' }, 'Sign in')),
    }, form);
    return { view: 'forgot-password', title: 'Forgot your password', node, announce: 'Forgot your password' };
  },
};
