// /account/login: email and password; when the account has two-factor sign-in
// (401 TOTP_REQUIRED) a second step asks for the 6-digit code or a recovery code and
// sends all three again.
import { currentUser, login, ready } from '../auth.js';
import { h } from '../dom.js';
import { authLayout, nextPath, withNext } from '../components/auth-layout.js';
import { accountForm, clearErrors, field, reveal, showError, showNotice } from '../components/form.js';

const NOTICES = {
  'password-reset': 'Your password has been changed. Sign in with the new one.',
  'signed-out': 'You are signed out.',
  checkout: 'Sign in or create an account to check out. Your cart comes with you.',
};

export default {
  async load(ctx) {
    await ready();
    if (currentUser()) {
      ctx.navigate(nextPath(ctx.query), { replace: true });
      return { node: h('div'), title: 'Sign in' };
    }

    const credentials = h('div', { class: 'step-credentials' },
      field({ name: 'email', label: 'Email', type: 'email', autocomplete: 'username email', maxlength: 254, spellcheck: 'false' }),
      field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', maxlength: 1024 }),
      h('p', { class: 'form-aside' }, h('a', { href: '/account/forgot-password' }, 'Forgot your password?')));

    const codeField = field({
      name: 'totp', label: 'Authentication code', autocomplete: 'one-time-code', inputmode: 'numeric',
      pattern: '[0-9]{6}', maxlength: 6, hint: 'The 6-digit code from your authenticator app.', spellcheck: 'false',
    });
    const recoveryField = field({
      name: 'recovery_code', label: 'Recovery code', autocomplete: 'off', maxlength: 40, spellcheck: 'false',
      hint: 'One of the recovery codes you saved when you turned on two-factor sign-in. Each works once.',
    });
    const toggle = h('button', { type: 'button', class: 'link-button' }, 'Use a recovery code instead');
    const secondStep = h('fieldset', { class: 'step-code' },
      h('legend', {}, 'Two-factor sign-in'),
      codeField, recoveryField,
      h('p', { class: 'form-aside' }, toggle));
    reveal(secondStep, false);

    let useRecovery = false;
    function showRecovery(on) {
      useRecovery = on;
      reveal(codeField, !on);
      reveal(recoveryField, on);
      toggle.textContent = on ? 'Use a code from the app instead' : 'Use a recovery code instead';
      (on ? recoveryField : codeField).querySelector('input').focus();
    }
    toggle.addEventListener('click', () => showRecovery(!useRecovery));

    function askForCode(form) {
      reveal(credentials, false);
      reveal(secondStep, true);
      form.querySelector('button[type="submit"]').textContent = 'Verify and sign in';
      showRecovery(false);
    }

    const form = accountForm({
      label: 'Sign in',
      submitLabel: 'Sign in',
      async onSubmit(f, v) {
        // values() skips hidden fields; the password step is hidden but still needed.
        const body = {
          email: f.querySelector('input[name="email"]').value.trim(),
          password: f.querySelector('input[name="password"]').value,
        };
        if (!secondStep.hidden) {
          if (useRecovery) body.recovery_code = v.recovery_code;
          else body.totp = v.totp;
        }
        const result = await login(body);
        if (!ctx.isCurrent()) return;
        if (result.ok) {
          ctx.navigate(nextPath(ctx.query), { replace: true });
          return;
        }
        const { code } = result.error;
        if (code === 'TOTP_REQUIRED' && secondStep.hidden) {
          askForCode(f);
          showNotice(f, 'Enter the code from your authenticator app to finish signing in.', { title: 'One more step' });
          return;
        }
        if (code === 'INVALID_TOTP' || (code === 'TOTP_REQUIRED' && !secondStep.hidden)) {
          const name = useRecovery ? 'recovery_code' : 'totp';
          showError(f, { ...result.error, fields: { [name]: useRecovery ? 'That recovery code did not work' : 'That code did not work' } },
            { title: 'We could not sign you in' });
          return;
        }
        if (code === 'INVALID_CREDENTIALS' && !secondStep.hidden) {
          // Start again from the password (e.g. it was changed meanwhile).
          reveal(credentials, true);
          reveal(secondStep, false);
          f.querySelector('button[type="submit"]').textContent = 'Sign in';
        }
        showError(f, result.error, { title: 'We could not sign you in' });
      },
    }, credentials, secondStep);

    const notice = NOTICES[ctx.query.get('notice')];
    if (notice) {
      clearErrors(form);
      showNotice(form, notice);
    }

    const node = authLayout({
      heading: 'Sign in',
      lead: 'Welcome back to ShopDesk.',
      footer: h('p', {}, 'New here? ', h('a', { href: withNext('/account/register', ctx.query) }, 'Create an account')),
    }, form);
    return { view: 'login', title: 'Sign in', node, announce: 'Sign in' };
  },
};
