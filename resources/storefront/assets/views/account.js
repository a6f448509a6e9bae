// /account: the signed-in customer's profile (name, email and whether it is verified),
// two-factor sign-in (set up with a QR code, confirmed with a code, recovery codes shown
// once; turned off with the password) and signing out.
import { authFetch, authPost, currentUser, ready, updateUser } from '../auth.js';
import { h } from '../dom.js';
import { errorBanner, noticeBanner } from '../components/banner.js';
import { accountForm, errorMessage, field, showError } from '../components/form.js';
import { errorResult } from './error.js';

// The server's QR SVG as an image: never parsed into the page as markup.
function svgDataUri(svg) {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

// ABCD EFGH ... : easier to type from the screen.
function groupSecret(secret) {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

function badge(on, onText, offText) {
  return h('span', { class: `badge ${on ? 'badge-ok' : 'badge-warn'}` }, on ? onText : offText);
}

function signInAgain(ctx) {
  ctx.navigate('/account/login?next=/account', { replace: true });
  return { node: h('div'), title: 'Your account' };
}

function profileSection(user) {
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ') || '—';
  const status = h('p', { class: 'inline-status', role: 'status' });
  const resend = h('button', { type: 'button', class: 'button button-secondary button-small' }, 'Resend verification email');
  resend.addEventListener('click', async () => {
    resend.disabled = true;
    status.textContent = 'Sending…';
    const result = await authPost('/api/auth/resend-verification');
    resend.disabled = false;
    status.textContent = result.ok
      ? `We sent a new link to ${user.email}. It is valid for a limited time.`
      : errorMessage(result.error);
    status.classList.toggle('is-error', !result.ok);
  });

  return h('section', { class: 'account-section', 'aria-labelledby': 'profile-title' },
    h('h2', { id: 'profile-title' }, 'Profile'),
    h('dl', { class: 'account-facts' },
      h('div', {}, h('dt', {}, 'Name'), h('dd', { class: 'account-name-value' }, name)),
      h('div', {}, h('dt', {}, 'Email'),
        h('dd', { class: 'account-email' },
          h('span', { class: 'account-email-value' }, user.email), ' ',
          h('span', { class: 'verified-badge', dataset: { verified: String(Boolean(user.email_verified)) } },
            badge(user.email_verified, 'Verified', 'Not verified'))))),
    user.email_verified ? null : h('div', { class: 'verify-note' },
      h('p', {}, 'Please confirm your email address with the link we sent you.'),
      resend, status));
}

// The two-factor section redraws itself as it goes: off -> setting up -> codes -> on.
function twoFactorSection() {
  const section = h('section', { class: 'account-section', 'aria-labelledby': 'totp-title', id: 'two-factor' });
  const heading = () => h('h2', { id: 'totp-title' }, 'Two-factor sign-in');

  function focusFirst(selector) {
    const target = section.querySelector(selector);
    if (target) target.focus();
  }

  function showOff() {
    const status = h('div', { class: 'form-status' });
    const start = h('button', { type: 'button', class: 'button' }, 'Set up two-factor sign-in');
    start.addEventListener('click', async () => {
      start.disabled = true;
      const result = await authPost('/api/auth/2fa/setup');
      start.disabled = false;
      if (!result.ok) {
        status.replaceChildren(errorBanner(errorMessage(result.error), { title: 'Two-factor sign-in could not be set up' }));
        return;
      }
      showSetup(result.data);
    });
    section.dataset.totp = 'off';
    section.replaceChildren(heading(),
      h('p', {}, badge(false, 'On', 'Off')),
      h('p', { class: 'section-lead' },
        'Protect your account with a second step at sign-in: a 6-digit code from an authenticator app on your phone.'),
      status, start);
  }

  function showSetup({ secret, qr_svg: qrSvg }) {
    const form = accountForm({
      label: 'Confirm two-factor sign-in',
      submitLabel: 'Turn on',
      className: 'totp-confirm',
      async onSubmit(f, v) {
        const result = await authPost('/api/auth/2fa/confirm', { code: v.code });
        if (!result.ok) {
          const fields = result.error.code === 'INVALID_TOTP' ? { code: 'That code did not match; try the current one' } : result.error.fields;
          showError(f, { ...result.error, fields }, { title: 'Two-factor sign-in is not on yet' });
          return;
        }
        updateUser({ totp_enabled: true });
        showRecoveryCodes(result.data.recovery_codes || []);
      },
    },
    field({
      name: 'code', label: 'Code from the app', autocomplete: 'one-time-code', inputmode: 'numeric',
      pattern: '[0-9]{6}', maxlength: 6, spellcheck: 'false',
    }));
    const cancel = h('button', { type: 'button', class: 'button button-secondary' }, 'Cancel');
    cancel.addEventListener('click', () => { showOff(); focusFirst('button'); });
    form.querySelector('.form-actions').append(cancel);

    section.dataset.totp = 'setup';
    section.replaceChildren(heading(),
      h('ol', { class: 'totp-steps' },
        h('li', {},
          h('p', {}, 'Scan this QR code with an authenticator app (such as Google Authenticator, 1Password or Aegis).'),
          h('img', {
            class: 'totp-qr', src: svgDataUri(qrSvg), width: 200, height: 200,
            alt: 'QR code for setting up two-factor sign-in. If you cannot scan it, enter the key shown below.',
          })),
        h('li', {},
          h('p', {}, 'Or type this key into the app:'),
          h('code', { class: 'totp-secret', dataset: { secret } }, groupSecret(secret))),
        h('li', {}, h('p', {}, 'Enter the 6-digit code the app shows:'), form)));
    focusFirst('input[name="code"]');
  }

  function showRecoveryCodes(codes) {
    const done = h('button', { type: 'button', class: 'button' }, 'I have saved these codes');
    done.addEventListener('click', () => { showOn(); focusFirst('h2'); });
    section.dataset.totp = 'codes';
    section.replaceChildren(heading(),
      noticeBanner('Two-factor sign-in is on. From now on you will be asked for a code when you sign in.', { title: 'Done' }),
      h('h3', { id: 'recovery-title' }, 'Your recovery codes'),
      h('p', {}, 'If you lose your phone, each of these codes signs you in once. Save them somewhere safe now: ',
        h('strong', {}, 'they will not be shown again.')),
      h('ul', { class: 'recovery-codes', 'aria-labelledby': 'recovery-title' },
        codes.map((c) => h('li', {}, h('code', {}, c)))),
      done);
    const title = section.querySelector('#recovery-title');
    title.setAttribute('tabindex', '-1');
    title.focus();
  }

  function showOn() {
    const form = accountForm({
      label: 'Turn off two-factor sign-in',
      submitLabel: 'Turn off two-factor sign-in',
      className: 'totp-disable',
      async onSubmit(f, v) {
        const result = await authPost('/api/auth/2fa/disable', { password: v.password });
        if (!result.ok) {
          const fields = result.error.code === 'INVALID_CREDENTIALS' ? { password: 'That is not your password' } : result.error.fields;
          showError(f, { ...result.error, fields }, { title: 'Two-factor sign-in is still on' });
          return;
        }
        updateUser({ totp_enabled: false });
        showOff();
        focusFirst('button');
      },
    },
    field({ name: 'password', label: 'Your password', type: 'password', autocomplete: 'current-password', maxlength: 1024 }));
    section.dataset.totp = 'on';
    section.replaceChildren(heading(),
      h('p', {}, badge(true, 'On', 'Off')),
      h('p', { class: 'section-lead' }, 'Signing in asks for a code from your authenticator app or one of your recovery codes.'),
      h('details', { class: 'totp-off' }, h('summary', {}, 'Turn off two-factor sign-in'), form));
  }

  if (currentUser().totp_enabled) showOn();
  else showOff();
  return section;
}

export default {
  async load(ctx) {
    await ready();
    if (!currentUser()) return signInAgain(ctx);
    const me = await authFetch('/api/auth/me');
    if (!me.ok) {
      if (me.status === 401) return signInAgain(ctx);
      return errorResult(ctx, me.error, { title: 'Your account', heading: 'Your account' });
    }
    updateUser(me.data);
    const user = currentUser();

    const signOut = h('button', { type: 'button', class: 'button button-secondary' }, 'Sign out');
    signOut.addEventListener('click', () => ctx.signOut());

    const node = h('div', { class: 'account-page' },
      h('div', { class: 'account-head' },
        h('h1', { class: 'page-title' }, 'Your account'),
        h('p', { class: 'page-lead' }, `Signed in as ${user.email}`)),
      profileSection(user),
      twoFactorSection(),
      h('section', { class: 'account-section', 'aria-labelledby': 'session-title' },
        h('h2', { id: 'session-title' }, 'Sign out'),
        h('p', { class: 'section-lead' }, 'Sign out of ShopDesk in this browser.'),
        signOut));
    return { view: 'account', title: 'Your account', node, announce: 'Your account' };
  },
};
