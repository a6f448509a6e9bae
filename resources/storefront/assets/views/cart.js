// /cart: the lines with their quantities (changed in place), lines the stock no longer
// covers flagged with the fix, the total, and the way to checkout. Guests have a cart
// too; checkout asks them to sign in, and their cart joins their account's.
import { lineProblem, loadCart, removeItem, setQuantity } from '../cart.js';
import { h } from '../dom.js';
import { formatCount, formatMoney, plural } from '../format.js';
import { errorBanner } from '../components/banner.js';
import { productImage } from '../components/product-image.js';
import { quantityInput, readQuantity } from '../components/quantity.js';
import { errorResult } from './error.js';

const MAX_PER_LINE = 99;

function money(cents, cart) {
  return formatMoney(Number(cents), cart.currency || 'USD');
}

function problemText(line, problem) {
  if (problem.kind === 'sold-out') return `${line.name} is sold out. Remove it to check out.`;
  if (problem.kind === 'short') return `Only ${formatCount(problem.stock)} left in stock. Lower the quantity to check out.`;
  return `${line.name} is no longer sold. Remove it to check out.`;
}

function skeleton() {
  return h('div', { class: 'cart-page', 'aria-hidden': 'true' },
    h('div', { class: 'skeleton-line title' }),
    h('div', { class: 'cart-layout' },
      h('div', { class: 'cart-lines skeleton-card' },
        h('div', { class: 'skeleton-line' }), h('div', { class: 'skeleton-line short' }),
        h('div', { class: 'skeleton-line' }), h('div', { class: 'skeleton-line short' })),
      h('div', { class: 'cart-summary skeleton-card' }, h('div', { class: 'skeleton-line' }))));
}

function emptyCart() {
  return h('div', { class: 'empty-state cart-empty' },
    h('p', { class: 'empty-title' }, 'Your cart is empty.'),
    h('p', {}, 'Find something you like and add it here.'),
    h('p', { class: 'empty-actions' }, h('a', { class: 'button', href: '/products' }, 'Browse products')));
}

export default {
  skeleton,

  async load(ctx) {
    const result = await loadCart();
    if (!result.ok) return errorResult(ctx, result.error, { title: 'Your cart', heading: 'Your cart' });

    const live = document.getElementById('live');
    const announce = (text) => { if (live) live.textContent = text; };
    const body = h('div', { class: 'cart-body' });
    const heading = h('h1', { class: 'page-title', id: 'cart-title' }, 'Your cart');
    const count = h('p', { class: 'page-lead cart-count-line' });
    const node = h('section', { class: 'cart-page', 'aria-labelledby': 'cart-title' },
      h('div', { class: 'cart-head' }, heading, count),
      body);

    let busy = false;
    let queued = null; // the latest change asked for while one was running

    // One change at a time; the answer is the whole cart, which is drawn again. A change
    // asked for meanwhile (a second click on +) runs next; only the latest one counts.
    async function change(run, options = {}) {
      if (busy) {
        queued = { run, options };
        return;
      }
      await apply(run, options);
      while (queued && ctx.isCurrent()) {
        const next = queued;
        queued = null;
        await apply(next.run, next.options);
      }
    }

    async function apply(run, { focusLine, message, lineNode } = {}) {
      busy = true;
      node.setAttribute('aria-busy', 'true');
      if (lineNode) lineNode.classList.add('is-updating');
      let answer;
      try {
        answer = await run();
      } finally {
        busy = false;
        node.setAttribute('aria-busy', 'false');
        if (lineNode) lineNode.classList.remove('is-updating');
      }
      if (!ctx.isCurrent()) return;
      if (!answer.ok) {
        // The cart as the server has it now, with the message next to the line.
        const fresh = await loadCart();
        if (!ctx.isCurrent()) return;
        const fields = answer.error.fields || {};
        const text = (focusLine && fields[`items.${focusLine.product_id}`]) || fields.quantity || answer.error.message;
        draw(fresh.ok ? fresh.data : null, focusLine && fresh.ok && fresh.data.items.some((i) => i.id === focusLine.id)
          ? { errorFor: focusLine.id, errorText: text }
          : { bannerError: text });
        return;
      }
      draw(answer.data);
      if (message) announce(message);
    }

    function lineItem(line, cart, { errorFor, errorText }) {
      const problem = lineProblem(line);
      const errorId = `line-error-${line.id}`;
      const problemId = `line-problem-${line.id}`;
      const qty = quantityInput({
        value: line.quantity,
        // Raising a line must fit the stock; lowering is always allowed (the fix for a
        // short line).
        max: Math.max(Number(line.quantity), Math.min(MAX_PER_LINE, Number(line.stock) || 0)),
        label: 'Quantity',
        itemName: line.name,
        errorId: [errorId, problem ? problemId : null].filter(Boolean).join(' '),
        compact: true,
      });
      const error = h('p', { class: 'field-error', id: errorId, hidden: errorFor !== line.id },
        errorFor === line.id ? errorText : '');
      if (errorFor === line.id) qty.input.setAttribute('aria-invalid', 'true');

      const li = h('li', {
        class: problem ? 'cart-line has-problem' : 'cart-line',
        dataset: { itemId: String(line.id), productId: String(line.product_id), problem: problem ? problem.kind : '' },
      });

      qty.input.addEventListener('change', () => {
        const quantity = readQuantity(qty.input);
        if (quantity === null) {
          const typed = Number(qty.input.value);
          const stockLimited = Number(qty.input.max) < MAX_PER_LINE;
          error.textContent = Number.isInteger(typed) && typed > Number(qty.input.max) && stockLimited
            ? `Only ${formatCount(Number(qty.input.max))} left in stock.`
            : `Choose a quantity from 1 to ${qty.input.max}.`;
          error.hidden = false;
          qty.input.setAttribute('aria-invalid', 'true');
          return;
        }
        if (quantity === Number(line.quantity)) return;
        change(() => setQuantity(line.id, quantity), {
          focusLine: line, lineNode: li, message: `${line.name}: quantity ${formatCount(quantity)}.`,
        });
      });

      const remove = h('button', { type: 'button', class: 'link-button cart-remove' },
        'Remove', h('span', { class: 'sr-only' }, ` ${line.name}`));
      remove.addEventListener('click', () => {
        change(() => removeItem(line.id), { lineNode: li, message: `${line.name} removed from your cart.` });
      });

      let fix = null;
      if (problem && problem.kind === 'short') {
        fix = h('button', { type: 'button', class: 'button button-small button-secondary cart-fix' },
          `Change to ${formatCount(problem.stock)}`);
        fix.addEventListener('click', () => {
          change(() => setQuantity(line.id, problem.stock), {
            focusLine: line, lineNode: li, message: `${line.name}: quantity ${formatCount(problem.stock)}.`,
          });
        });
      }

      const href = `/product/${encodeURIComponent(line.product_id)}`;
      li.append(
        h('a', { class: 'cart-line-media', href, tabindex: '-1', 'aria-hidden': 'true' },
          productImage(line, { className: 'cart-line-image' })),
        h('div', { class: 'cart-line-info' },
          h('h2', { class: 'cart-line-name' }, h('a', { href }, line.name)),
          h('p', { class: 'cart-line-meta' },
            h('span', { class: 'cart-line-price' }, `${money(line.price_cents, cart)} each`),
            line.sku ? h('span', { class: 'cart-line-sku' }, `SKU ${line.sku}`) : null),
          problem ? h('p', { class: 'cart-line-problem', id: problemId }, problemText(line, problem)) : null,
          h('div', { class: 'cart-line-actions' }, fix, remove)),
        h('div', { class: 'cart-line-qty' }, qty.node, error),
        h('p', { class: 'cart-line-total' },
          h('span', { class: 'sr-only' }, 'Line total: '),
          money(line.subtotal_cents, cart)));

      return li;
    }

    function draw(cart, options = {}) {
      if (!cart) {
        body.replaceChildren(errorResult(ctx, { message: 'Your cart could not be loaded.' }).node);
        return;
      }
      const items = cart.items || [];
      count.textContent = items.length ? plural(Number(cart.item_count) || 0, 'item') : '';
      if (!items.length) {
        const hadFocus = node.contains(document.activeElement);
        body.replaceChildren(emptyCart());
        if (hadFocus) {
          heading.setAttribute('tabindex', '-1');
          heading.focus();
        }
        return;
      }
      const problems = items.filter((line) => lineProblem(line));
      const focused = focusedControl();

      const checkout = problems.length
        ? h('button', { type: 'button', class: 'button button-large cart-checkout', disabled: true, 'aria-describedby': 'checkout-blocked' }, 'Check out')
        : h('a', { class: 'button button-large cart-checkout', href: '/checkout' }, 'Check out');

      body.replaceChildren(...[
        options.bannerError ? errorBanner(options.bannerError, { title: 'Your cart was not changed' }) : null,
        problems.length
          ? h('div', { class: 'banner banner-warning cart-warning', role: 'status' },
            h('div', { class: 'banner-text' },
              h('strong', {}, problems.length === 1 ? 'One item needs your attention' : `${formatCount(problems.length)} items need your attention`),
              h('p', { class: 'banner-message' }, 'The shop no longer has enough of them. Change or remove the flagged lines to check out.')))
          : null,
        h('div', { class: 'cart-layout' },
          h('ul', { class: 'cart-lines', 'aria-label': 'Items in your cart' },
            items.map((line) => lineItem(line, cart, options))),
          h('aside', { class: 'cart-summary', 'aria-labelledby': 'cart-summary-title' },
            h('h2', { id: 'cart-summary-title', class: 'summary-title' }, 'Order summary'),
            h('dl', { class: 'summary-rows' },
              h('div', {}, h('dt', {}, `Items (${formatCount(Number(cart.item_count) || 0)})`), h('dd', {}, money(cart.total_cents, cart))),
              h('div', { class: 'summary-total' }, h('dt', {}, 'Total'), h('dd', { class: 'cart-total', dataset: { totalCents: String(cart.total_cents) } }, money(cart.total_cents, cart)))),
            h('p', { class: 'note' }, 'Shipping is confirmed when you place the order.'),
            checkout,
            problems.length ? h('p', { class: 'note cart-blocked', id: 'checkout-blocked' }, 'Fix the flagged items to check out.') : null,
            h('a', { class: 'cart-continue', href: '/products' }, 'Continue shopping'))),
      ].filter(Boolean));

      restoreFocus(focused, options);
    }

    // The control that had focus before the lines were drawn again: its line and kind.
    const CONTROLS = ['.qty-input', '.qty-step[data-step="1"]', '.qty-step[data-step="-1"]', '.cart-fix', '.cart-remove'];
    function focusedControl() {
      const el = document.activeElement;
      if (!el || !node.contains(el)) return null;
      const li = el.closest('.cart-line');
      const selector = CONTROLS.find((c) => el.matches(c));
      return { itemId: li ? li.dataset.itemId : null, selector };
    }

    // Focus stays on the same control of the same line (the + button pressed again and
    // again); a line with an error gets it on its quantity; a line that went away
    // hands it to the next line, or to the heading.
    function restoreFocus(focused, { errorFor } = {}) {
      if (errorFor !== undefined && errorFor !== null) {
        const input = body.querySelector(`.cart-line[data-item-id="${errorFor}"] .qty-input`);
        if (input) { input.focus(); return; }
      }
      if (!focused) return;
      const li = focused.itemId ? body.querySelector(`.cart-line[data-item-id="${CSS.escape(focused.itemId)}"]`) : null;
      let target = li && focused.selector ? li.querySelector(focused.selector) : null;
      if (target && target.disabled) target = li.querySelector('.qty-input');
      if (!target && li) target = li.querySelector('.qty-input');
      if (!target) target = body.querySelector('.cart-line .qty-input');
      if (!target) {
        heading.setAttribute('tabindex', '-1');
        target = heading;
      }
      target.focus();
    }

    draw(result.data);
    const items = result.data.items || [];
    return {
      view: 'cart',
      title: 'Your cart',
      node,
      announce: items.length ? `Your cart: ${plural(Number(result.data.item_count) || 0, 'item')}` : 'Your cart is empty',
    };
  },
};
