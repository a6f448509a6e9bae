// Account forms: labelled fields with a hint and an error line each (wired through
// aria-describedby), a status area for the form's own message, and the API's errors
// put where they belong (error.fields next to their fields, the rest in the banner).
import { h } from '../dom.js';
import { errorBanner, noticeBanner } from './banner.js';

let nextId = 0;

// A labelled input. options: name, label, type, autocomplete, hint, required, and any
// other input attribute (inputmode, pattern, maxlength...).
export function field({ name, label, hint, required = true, type = 'text', ...attrs }) {
  const id = `f-${name}-${++nextId}`;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const input = h('input', {
    id, name, type, required, class: 'input',
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
    ...attrs,
  });
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'field-hint', id: hintId }, hint) : null,
    input,
    h('p', { class: 'field-error', id: errorId, hidden: true }));
}

// "Please wait 2 minutes" from Retry-After seconds.
export function waitText(seconds) {
  if (!seconds) return 'a moment';
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

// The message an API error should show above a form.
export function errorMessage(error) {
  if (error.code === 'RATE_LIMITED') {
    return `Too many attempts. Please wait ${waitText(error.retryAfter)} and try again.`;
  }
  return error.message;
}

export function clearErrors(form) {
  for (const f of form.querySelectorAll('.field')) {
    const input = f.querySelector('input');
    const line = f.querySelector('.field-error');
    input.removeAttribute('aria-invalid');
    line.textContent = '';
    line.hidden = true;
  }
  const status = form.querySelector('.form-status');
  if (status) status.replaceChildren();
}

// Shows an API error: field messages next to their fields, the message in the banner.
// Focus goes to the first field with an error, else stays put (the banner is an alert).
export function showError(form, error, { title = 'That did not work' } = {}) {
  clearErrors(form);
  let first = null;
  for (const [name, message] of Object.entries(error.fields || {})) {
    const f = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
    if (!f || f.hidden) continue;
    const input = f.querySelector('input');
    const line = f.querySelector('.field-error');
    input.setAttribute('aria-invalid', 'true');
    line.textContent = message;
    line.hidden = false;
    if (!first) first = input;
  }
  const status = form.querySelector('.form-status');
  if (status) status.replaceChildren(errorBanner(errorMessage(error), { title }));
  if (first) first.focus();
}

export function showNotice(form, message, { title } = {}) {
  clearErrors(form);
  const status = form.querySelector('.form-status');
  if (status) status.replaceChildren(noticeBanner(message, { title }));
}

// Marks the form busy while a request runs: the submit button is disabled so a double
// click sends one request.
export function setBusy(form, busy) {
  form.setAttribute('aria-busy', busy ? 'true' : 'false');
  for (const button of form.querySelectorAll('button[type="submit"]')) button.disabled = busy;
}

// The form's values by name (trimmed, except passwords).
export function values(form) {
  const out = {};
  for (const input of form.querySelectorAll('input[name]')) {
    if (input.disabled) continue;
    out[input.name] = input.type === 'password' ? input.value : input.value.trim();
  }
  return out;
}

// Shows or hides part of a form; hidden inputs are disabled too, so their `required`
// does not block submitting and values() leaves them out.
export function reveal(el, shown) {
  el.hidden = !shown;
  for (const input of el.querySelectorAll('input')) input.disabled = !shown;
  if (el.matches('input')) el.disabled = !shown;
}

// <form> with a status area on top and a submit button; onSubmit(form, values) is
// called with the form marked busy, and any exception it throws is reported.
export function accountForm({ label, submitLabel, onSubmit, className = '' }, ...children) {
  const form = h('form', { class: `account-form ${className}`.trim(), 'aria-label': label, method: 'post' },
    h('div', { class: 'form-status' }),
    ...children,
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'button' }, submitLabel)));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    setBusy(form, true);
    try {
      await onSubmit(form, values(form));
    } catch (error) {
      console.error(error);
      showError(form, { message: 'Something went wrong. Please try again.' });
    } finally {
      setBusy(form, false);
    }
  });
  return form;
}
