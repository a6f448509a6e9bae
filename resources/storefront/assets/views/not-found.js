import { h } from '../dom.js';

// "Not found" for an unknown product, category or storefront path.
export function notFoundResult({
  title = 'Page not found',
  message = 'The page you asked for does not exist. It may have moved, or the link may be mistyped.',
} = {}) {
  return {
    view: 'not-found',
    title,
    node: h('section', { class: 'empty-state not-found' },
      h('p', { class: 'empty-code', 'aria-hidden': 'true' }, '404'),
      h('h1', {}, title),
      h('p', {}, message),
      h('p', { class: 'empty-actions' },
        h('a', { class: 'button', href: '/products' }, 'Browse all products'),
        h('a', { class: 'button button-secondary', href: '/' }, 'Go to the home page'))),
  };
}

export default {
  async load() {
    return notFoundResult();
  },
};
