// /account/register: a new customer account; signed in straight away.
import { currentUser, ready, register } from '../auth.js';
import { h } from '../dom.js';
import { authLayout, nextPath, withNext } from '../components/auth-layout.js';
import { accountForm, field, showError } from '../components/form.js';

export default {
  async load(ctx) {
    await ready();
    if (currentUser()) {
      ctx.navigate(nextPath(ctx.query), { replace: true });
      return { node: h('div'), title: 'Create an account' };
    }

    const form = accountForm({
      label: 'Create an account',
      submitLabel: 'Create account',
      async onSubmit(f, v) {
        const result = await register(v);
        if (!ctx.isCurrent()) return;
        if (!result.ok) {
          showError(f, result.error, {
            title: result.error.code === 'EMAIL_EXISTS' ? 'This email already has an account' : 'We could not create your account',
          });
          return;
        }
        ctx.navigate(nextPath(ctx.query), { replace: true });
      },
    },
    h('div', { class: 'field-row' },
      field({ name: 'first_name', label: 'First name', autocomplete: 'given-name', maxlength: 100 }),
      field({ name: 'last_name', label: 'Last name', autocomplete: 'family-name', maxlength: 100 })),
    field({ name: 'email', label: 'Email', type: 'email', autocomplete: 'email', maxlength: 254, spellcheck: 'false' }),
    field({
      name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password',
      hint: 'At least 8 characters. A long phrase is easy to remember and hard to guess.', minlength: 8, maxlength: 1024,
    }));

    const node = authLayout({
      heading: 'Create an account',
      lead: 'Keep track of your details and secure your account with two-factor sign-in.',
      footer: h('p', {}, 'Already have an account? ', h('a', { href: withNext('/account/login', ctx.query) }, 'Sign in')),
    }, form);
    return { view: 'register', title: 'Create an account', node, announce: 'Create an account' };
  },
};
