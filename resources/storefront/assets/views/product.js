// /product/<id>: one product, with a breadcrumb and more from its category.
import { fetchProduct, fetchProducts } from '../api.js';
import { h } from '../dom.js';
import { formatCount, LOW_STOCK, productPrice } from '../format.js';
import { addToCartForm } from '../components/add-to-cart.js';
import { breadcrumb } from '../components/breadcrumb.js';
import { productGrid } from '../components/product-card.js';
import { productImage } from '../components/product-image.js';
import { errorResult } from './error.js';
import { notFoundResult } from './not-found.js';

const RELATED = 4;

function notFound() {
  return notFoundResult({
    title: 'Product not found',
    message: 'We could not find that product. It may have been sold out for good or removed from the shop.',
  });
}

function availability(stock) {
  if (!Number.isFinite(stock) || stock <= 0) return { text: 'Out of stock', kind: 'out' };
  if (stock <= LOW_STOCK) return { text: `Only ${formatCount(stock)} left in stock`, kind: 'low' };
  return { text: 'In stock', kind: 'in' };
}

// Paragraphs from the description's blank lines; text only, never markup.
function description(text) {
  const paragraphs = String(text || '').split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  if (!paragraphs.length) return h('p', { class: 'muted' }, 'No description yet.');
  return paragraphs.map((p) => h('p', {}, p));
}

function skeleton() {
  return h('div', { class: 'product-page', 'aria-hidden': 'true' },
    h('div', { class: 'skeleton-line short' }),
    h('div', { class: 'product-detail' },
      h('div', { class: 'detail-media skeleton-media' }),
      h('div', { class: 'detail-info' },
        h('div', { class: 'skeleton-line short' }),
        h('div', { class: 'skeleton-line title' }),
        h('div', { class: 'skeleton-line price' }),
        h('div', { class: 'skeleton-line' }),
        h('div', { class: 'skeleton-line' }))));
}

// Fills the "More in <category>" section once its products arrive; hidden if none.
async function loadRelated(ctx, section, product) {
  const result = await fetchProducts({ page: 1, perPage: RELATED + 1, category: product.category_slug });
  if (!ctx.isCurrent() || !result.ok) return;
  const others = result.data.products.filter((p) => p.id !== product.id).slice(0, RELATED);
  if (!others.length) return;
  section.append(
    h('div', { class: 'section-head' },
      h('h2', { id: 'related-title' }, `More in ${product.category}`),
      h('a', { href: `/category/${encodeURIComponent(product.category_slug)}` }, `See all ${product.category}`)),
    productGrid(others, { headingLevel: 3 }));
  section.hidden = false;
}

export default {
  skeleton,

  async load(ctx) {
    const id = ctx.params.id;
    if (!/^[1-9][0-9]{0,17}$/.test(id)) return notFound();

    const result = await fetchProduct(id);
    if (!result.ok) {
      if (result.status === 404) return notFound();
      return errorResult(ctx, result.error, { title: 'Product unavailable', heading: 'Product' });
    }
    const p = result.data;
    const stock = availability(Number(p.stock));
    const hasCategory = Boolean(p.category && p.category_slug);
    const categoryHref = hasCategory ? `/category/${encodeURIComponent(p.category_slug)}` : null;

    const crumbs = [{ label: 'Home', href: '/' }];
    if (hasCategory) crumbs.push({ label: p.category, href: categoryHref });
    else crumbs.push({ label: 'All products', href: '/products' });
    crumbs.push({ label: p.name });

    const related = h('section', { class: 'related', 'aria-labelledby': 'related-title', hidden: true });

    const node = h('div', { class: 'product-page' },
      breadcrumb(crumbs),
      h('article', { class: 'product-detail', dataset: { productId: String(p.id) } },
        h('div', { class: 'detail-media' }, productImage(p, { alt: p.name, eager: true, className: 'detail-image' })),
        h('div', { class: 'detail-info' },
          hasCategory ? h('a', { class: 'detail-category', href: categoryHref }, p.category) : null,
          h('h1', { class: 'detail-name' }, p.name),
          h('p', { class: 'detail-price', dataset: { priceCents: String(p.price_cents) } }, productPrice(p)),
          h('p', { class: `detail-stock stock-${stock.kind}` }, h('span', { class: 'stock-dot', 'aria-hidden': 'true' }), stock.text),
          h('div', { class: 'detail-description' }, description(p.description)),
          h('div', { class: 'detail-actions' }, addToCartForm(p)),
          h('dl', { class: 'detail-facts' },
            h('div', {}, h('dt', {}, 'SKU'), h('dd', { class: 'detail-sku' }, p.sku || '—')),
            h('div', {}, h('dt', {}, 'Category'), h('dd', {}, hasCategory ? h('a', { href: categoryHref }, p.category) : 'Uncategorised')),
            h('div', {}, h('dt', {}, 'Availability'), h('dd', {}, Number(p.stock) > 0 ? `${formatCount(Number(p.stock))} in stock` : 'Out of stock'))))),
      related);

    if (hasCategory) loadRelated(ctx, related, p);

    return { view: 'product', title: p.name, node, announce: p.name };
  },
};
