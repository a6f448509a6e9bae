import { h } from '../dom.js';
import { productPrice } from '../format.js';
import { addToCartForm } from './add-to-cart.js';
import { productImage } from './product-image.js';
import { stockBadge } from './stock-badge.js';

export function productHref(product) {
  return `/product/${encodeURIComponent(product.id)}`;
}

// One product in a grid. The picture, name and price are one link; its image is
// decorative there (alt=""), since the product name is the link's text right below
// it. "Add to cart" sits below the link, not inside it (a button in a link is neither).
export function productCard(product, { headingLevel = 2, eager = false, addToCart = true } = {}) {
  const badge = stockBadge(product.stock);
  const soldOut = Number(product.stock) <= 0;
  return h('li', {
    class: soldOut ? 'product-card is-sold-out' : 'product-card',
    dataset: {
      productId: String(product.id),
      priceCents: String(product.price_cents),
      categorySlug: product.category_slug || '',
    },
  },
  h('a', { class: 'card-link', href: productHref(product) },
    h('div', { class: 'card-media' }, productImage(product, { eager }), badge),
    h('div', { class: 'card-body' },
      h('p', { class: 'card-category' }, product.category || 'Uncategorised'),
      h(`h${headingLevel}`, { class: 'card-title', title: product.name }, product.name),
      h('p', { class: 'card-price' }, productPrice(product)))),
  addToCart ? h('div', { class: 'card-actions' }, addToCartForm(product, { compact: true })) : null);
}

export function productGrid(products, options = {}) {
  return h('ul', { class: 'product-grid', role: 'list' },
    products.map((p, i) => productCard(p, { ...options, eager: i < 8 })));
}

// Grey placeholders while a slow page loads.
export function skeletonGrid(count = 8) {
  const cards = [];
  for (let i = 0; i < count; i += 1) {
    cards.push(h('li', { class: 'skeleton-card', 'aria-hidden': 'true' },
      h('div', { class: 'skeleton-media' }),
      h('div', { class: 'skeleton-line short' }),
      h('div', { class: 'skeleton-line' }),
      h('div', { class: 'skeleton-line price' })));
  }
  return h('ul', { class: 'product-grid skeleton-grid', role: 'list' }, cards);
}
