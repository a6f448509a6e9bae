// /search?q=...: ranked results from GET /api/products/search (at most 50, one page).
import { searchProducts } from '../api.js';
import { h } from '../dom.js';
import { plural } from '../format.js';
import { productGrid, skeletonGrid } from '../components/product-card.js';
import { errorResult } from './error.js';

const MAX_RESULTS = 50;

function suggestions(categories) {
  if (!categories.length) return null;
  return h('div', { class: 'suggestions' },
    h('p', {}, 'Or browse a category:'),
    h('ul', { class: 'chip-list', role: 'list' },
      categories.map((c) => h('li', {}, h('a', { class: 'chip', href: `/category/${encodeURIComponent(c.slug)}` }, c.name)))));
}

export default {
  skeleton() {
    return h('section', { class: 'catalog', 'aria-hidden': 'true' },
      h('div', { class: 'skeleton-line title' }),
      skeletonGrid(4));
  },

  async load(ctx) {
    const q = (ctx.query.get('q') || '').trim();
    if (!q) {
      return {
        view: 'search',
        title: 'Search',
        node: h('section', { class: 'catalog search-page' },
          h('h1', { class: 'page-title' }, 'Search'),
          h('p', { class: 'page-lead' }, 'Type what you are looking for in the search box above: a product name, a kind of thing, a brand.')),
        announce: 'Search',
      };
    }

    const [result, categoriesResult] = await Promise.all([searchProducts(q), ctx.categories()]);
    if (!result.ok) {
      return errorResult(ctx, result.error, { title: `Search: ${q}`, heading: `Results for “${q}”` });
    }
    const products = Array.isArray(result.data) ? result.data : [];
    const categories = categoriesResult.ok ? categoriesResult.data : [];
    const countText = products.length ? `${plural(products.length, 'product')} found` : 'No results';

    const body = products.length
      ? [
        productGrid(products, { headingLevel: 2 }),
        products.length >= MAX_RESULTS
          ? h('p', { class: 'note' }, `Showing the ${MAX_RESULTS} best matches. Add a word to narrow the search.`)
          : null,
      ]
      : h('div', { class: 'empty-state search-empty' },
        h('p', { class: 'empty-title' }, `No products match “${q}”.`),
        h('p', {}, 'Check the spelling, or try a shorter or more general word.'),
        suggestions(categories));

    return {
      view: 'search',
      title: `Search: ${q}`,
      node: h('section', { class: 'catalog search-page', 'aria-labelledby': 'catalog-title' },
        h('div', { class: 'catalog-head' },
          h('div', { class: 'catalog-heading' },
            h('h1', { id: 'catalog-title', class: 'page-title' }, `Results for “${q}”`)),
          products.length ? h('div', { class: 'toolbar' }, h('p', { class: 'result-count' }, countText)) : null),
        body),
      announce: products.length ? `${countText} for ${q}` : `No products match ${q}`,
    };
  },
};
