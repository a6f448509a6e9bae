import { h, icon } from '../dom.js';

// The list of problems at the top of a form (GOV.UK's error summary pattern): each
// entry links to its field, and focus moves here after a failed submit so keyboard
// and screen reader users hear what went wrong and can jump to it.
//   items: [{ message, control }]  control: the input/select to focus, or none
export function errorSummary({ title = 'There is a problem', message, items = [] }) {
  const links = items.map(({ message: text, control }) => {
    if (!control) return h('li', {}, text);
    const link = h('a', { href: `#${control.id}` }, text);
    link.addEventListener('click', (event) => {
      event.preventDefault();
      control.focus();
      control.scrollIntoView({ block: 'center' });
    });
    return h('li', {}, link);
  });
  return h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', 'aria-labelledby': 'error-summary-title' },
    icon('alert', 'icon banner-icon'),
    h('div', { class: 'error-summary-body' },
      h('h2', { class: 'error-summary-title', id: 'error-summary-title' }, title),
      message ? h('p', { class: 'error-summary-message' }, message) : null,
      links.length ? h('ul', { class: 'error-summary-list' }, links) : null));
}
