// The product grid: / (home), /products and /category/<slug>, with ?page= and ?sort=.
import { fetchProducts } from '../api.js';
import { h } from '../dom.js';
import { formatCount, plural } from '../format.js';
import { pagination } from '../components/pagination.js';
import { productGrid, skeletonGrid } from '../components/product-card.js';
import { parseSort, sortSelect } from '../components/sort-select.js';
import { errorResult } from './error.js';
import { notFoundResult } from './not-found.js';

export const PAGE_SIZE = 24;

function parsePage(text) {
  return /^[1-9][0-9]{0,6}$/.test(text || '') ? Number(text) : 1;
}

// The URL of this listing with other query values (page 1 and the default sort are
// left out, so the canonical URL stays short).
function listingHref(path, { page, sort }) {
  const q = new URLSearchParams();
  if (page > 1) q.set('page', String(page));
  if (sort) q.set('sort', sort);
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

// "Browse 60 products across 8 categories, from electronics to garden."
function browseLine(categories, total) {
  const names = categories.filter((c) => c.product_count > 0).map((c) => c.name.toLowerCase());
  let line = `Browse ${plural(total, 'product')}`;
  if (names.length > 1) line += ` across ${plural(names.length, 'category', 'categories')}, from ${names[0]} to ${names[names.length - 1]}`;
  return `${line}.`;
}

function hero(categories, total) {
  const showcase = ['electronics', 'home', 'toys', 'garden'];
  return h('section', { class: 'hero', 'aria-labelledby': 'hero-title' },
    h('div', { class: 'hero-text' },
      h('p', { class: 'hero-kicker' }, 'Welcome to ShopDesk'),
      h('h1', { id: 'hero-title' }, 'Everyday goods, thoughtfully chosen'),
      h('p', { class: 'hero-lead' },
        total > 0 ? browseLine(categories, total) : 'Our shelves are being stocked. Please check back soon.'),
      total > 0 ? h('a', { class: 'button hero-cta', href: '#catalog-title' }, 'Start shopping') : null),
    h('div', { class: 'hero-art', 'aria-hidden': 'true' },
      showcase.map((slug) => h('img', { src: `/assets/img/products/${slug}.svg`, alt: '', width: 400, height: 300 }))));
}

export default {
  skeleton() {
    return h('section', { class: 'catalog', 'aria-hidden': 'true' },
      h('div', { class: 'skeleton-line title' }),
      skeletonGrid(8));
  },

  async load(ctx) {
    const slug = ctx.params.slug || '';
    const isHome = ctx.path === '/';
    const page = parsePage(ctx.query.get('page'));
    const sort = parseSort(ctx.query.get('sort') || '');

    const [result, categoriesResult] = await Promise.all([
      fetchProducts({ page, perPage: PAGE_SIZE, category: slug || undefined, sort: sort || undefined }),
      ctx.categories(),
    ]);
    const categories = categoriesResult.ok ? categoriesResult.data : [];

    if (!result.ok) {
      if (slug && result.status === 404) {
        return notFoundResult({
          title: 'Category not found',
          message: `There is no category called “${slug}”. Browse all products or pick a category above.`,
        });
      }
      return errorResult(ctx, result.error, { title: 'Products unavailable', heading: 'Products' });
    }

    const { products, pagination: pg } = result.data;
    const total = Number(pg.total) || 0;
    const perPage = Number(pg.per_page) || PAGE_SIZE;
    const totalPages = Math.max(1, Math.ceil(total / perPage));
    const category = slug ? categories.find((c) => c.slug === slug) : null;
    const heading = slug ? (category ? category.name : slug) : 'All products';
    const path = ctx.path;

    const first = total === 0 ? 0 : (page - 1) * perPage + 1;
    const last = Math.min(total, (page - 1) * perPage + products.length);
    const countText = products.length
      ? `Showing ${formatCount(first)}–${formatCount(last)} of ${plural(total, 'product')}`
      : `${plural(total, 'product')}`;

    const showHero = isHome && page === 1 && !sort;
    const headingLevel = showHero ? 3 : 2;
    const titleTag = showHero ? 'h2' : 'h1';

    let body;
    if (products.length) {
      body = productGrid(products, { headingLevel });
    } else if (total > 0) {
      body = h('div', { class: 'empty-state' },
        h('p', {}, `There is nothing on page ${formatCount(page)}.`),
        h('p', {}, h('a', { class: 'button', href: listingHref(path, { page: 1, sort }) }, 'Go to the first page')));
    } else {
      body = h('div', { class: 'empty-state' },
        h('p', { class: 'empty-title' }, slug ? 'No products in this category yet.' : 'No products yet.'),
        h('p', {}, 'New arrivals are on their way. Please check back soon.'));
    }

    const node = h('div', { class: 'catalog-page' },
      showHero ? hero(categories, total) : null,
      h('section', { class: 'catalog', 'aria-labelledby': 'catalog-title' },
        h('div', { class: 'catalog-head' },
          h('div', { class: 'catalog-heading' },
            h(titleTag, { id: 'catalog-title', class: 'page-title', tabindex: '-1' }, heading),
            category && category.description ? h('p', { class: 'page-lead' }, category.description) : null),
          h('div', { class: 'toolbar' },
            h('p', { class: 'result-count' }, countText),
            total > 0 ? sortSelect(sort, (value) => ctx.navigate(listingHref(path, { page: 1, sort: value }),
              { scroll: false, focusSelector: '#sort' })) : null)),
        body,
        pagination({ page, totalPages, hrefFor: (p) => listingHref(path, { page: p, sort }) })));

    const titleParts = [heading];
    if (page > 1) titleParts.push(`Page ${page}`);
    return {
      view: slug ? 'category' : 'catalog',
      title: isHome && page === 1 ? null : titleParts.join(' – '),
      node,
      announce: `${heading}: ${countText}`,
      // After a client-side navigation focus goes to the page's h1 (the hero's on
      // the home page), or to the listing's heading when paging below the hero.
      focus: showHero && ctx.query.has('page') ? node.querySelector('#catalog-title') : null,
    };
  },
};
