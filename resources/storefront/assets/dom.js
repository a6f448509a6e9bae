// A tiny element builder. Text always goes in as text nodes (never innerHTML), and
// event handlers through addEventListener: the CSP forbids inline handlers and
// inline styles, and product data must never be parsed as markup.
//
//   h('a', { href: '/x', class: 'link', onClick: fn }, 'text', childNode, [more])
export function h(tag, props = {}, ...children) {
  const el = tag === 'svg' || props.xmlns
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'xmlns') {
      continue;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

// Decorative inline SVG icons (stroke paths, 24x24 grid). Built as DOM, not markup.
const ICONS = {
  search: ['M11 4a7 7 0 1 0 0 14a7 7 0 1 0 0-14z', 'M20 20l-4-4'],
  chevronLeft: ['M15 18l-6-6 6-6'],
  chevronRight: ['M9 18l6-6-6-6'],
  alert: ['M12 3l10 18H2z', 'M12 10v5', 'M12 18v.01'],
  bag: ['M5 8h14l-1.2 12H6.2z', 'M9 8V6a3 3 0 0 1 6 0v2'],
};

export function icon(name, className = 'icon') {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', className);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of ICONS[name] || []) {
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}
