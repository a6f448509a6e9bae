import { h } from '../dom.js';

export const PLACEHOLDER_IMAGE = '/assets/img/placeholder.svg';

// A product picture at 4:3, or the placeholder when the product has none or its
// image fails to load (listener, not an inline onerror: the CSP forbids those).
export function productImage(product, { alt = '', eager = false, className = 'product-image' } = {}) {
  const src = typeof product.image_url === 'string' && product.image_url.trim() ? product.image_url : PLACEHOLDER_IMAGE;
  const img = h('img', {
    src,
    alt,
    width: 400,
    height: 300,
    loading: eager ? 'eager' : 'lazy',
    decoding: 'async',
    class: src === PLACEHOLDER_IMAGE ? `${className} is-placeholder` : className,
  });
  img.addEventListener('error', () => {
    if (new URL(img.src, location.href).pathname === PLACEHOLDER_IMAGE) return;
    img.src = PLACEHOLDER_IMAGE;
    img.classList.add('is-placeholder');
  });
  return img;
}
