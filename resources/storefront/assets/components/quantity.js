import { h } from '../dom.js';

let nextId = 0;

// A labelled number field with − and + buttons. The buttons change the value and fire
// the input's `change` event, so a caller listens in one place for both ways of
// changing it. options: value, max, label (visible text), itemName (for the buttons'
// names: "Decrease the quantity of <itemName>"), hideLabel, errorId (an element
// describing the field's error), compact.
export function quantityInput({ value = 1, max = 99, label = 'Quantity', itemName, hideLabel = false, errorId, compact = false }) {
  const id = `qty-${++nextId}`;
  const input = h('input', {
    id,
    name: 'quantity',
    type: 'number',
    class: 'qty-input',
    inputmode: 'numeric',
    min: 1,
    max: Math.max(1, max),
    step: 1,
    value: String(value),
    required: true,
    'aria-describedby': errorId,
  });
  const of = itemName ? ` of ${itemName}` : '';
  const minus = h('button', { type: 'button', class: 'qty-step', 'aria-label': `Decrease the quantity${of}`, dataset: { step: '-1' } }, '−');
  const plus = h('button', { type: 'button', class: 'qty-step', 'aria-label': `Increase the quantity${of}`, dataset: { step: '1' } }, '+');

  function sync() {
    const n = Number(input.value);
    minus.disabled = input.disabled || !(n > 1);
    plus.disabled = input.disabled || !(n < Number(input.max));
  }
  for (const button of [minus, plus]) {
    button.addEventListener('click', () => {
      const current = Number.parseInt(input.value, 10);
      const next = Math.min(Number(input.max), Math.max(1, (Number.isFinite(current) ? current : 1) + Number(button.dataset.step)));
      if (next === current) return;
      input.value = String(next);
      sync();
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
  }
  input.addEventListener('input', sync);
  input.addEventListener('change', sync);
  sync();

  const wrapper = h('div', { class: compact ? 'qty qty-compact' : 'qty' },
    h('label', { for: id, class: hideLabel ? 'sr-only' : 'qty-label' }, label),
    h('div', { class: 'qty-control' }, minus, input, plus));
  return { node: wrapper, input, sync };
}

// The whole number in the field, or null when it is not one within 1..max.
export function readQuantity(input) {
  const text = input.value.trim();
  if (!/^[0-9]{1,3}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= Number(input.max) ? n : null;
}
