import { h } from '../dom.js';
import { errorBanner } from '../components/banner.js';

// A view that could not load: the API's message in a banner, and a retry that renders
// the same URL again.
export function errorResult(ctx, error, { title = 'Something went wrong', heading } = {}) {
  const message = (error && error.message) || 'The shop could not answer. Please try again.';
  return {
    view: 'error',
    title,
    node: h('section', { class: 'error-view' },
      heading ? h('h1', { class: 'page-title' }, heading) : null,
      errorBanner(message, {
        title: heading ? 'We could not load this page' : title,
        onRetry: () => ctx.navigate(`${ctx.url.pathname}${ctx.url.search}`, { replace: true, scroll: false }),
      })),
  };
}
