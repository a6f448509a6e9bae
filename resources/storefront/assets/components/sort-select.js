import { h } from '../dom.js';

// The API's ?sort= values; '' is the shop's own order ("Featured").
export const SORTS = [
  { value: '', label: 'Featured' },
  { value: 'price', label: 'Price: low to high' },
  { value: 'price_desc', label: 'Price: high to low' },
  { value: 'name', label: 'Name: A to Z' },
  { value: 'newest', label: 'Newest' },
];

export function parseSort(value) {
  return SORTS.some((s) => s.value === value) ? value : '';
}

export function sortSelect(current, onChange) {
  const select = h('select', { id: 'sort', name: 'sort', class: 'select' },
    SORTS.map((s) => h('option', { value: s.value, selected: s.value === current }, s.label)));
  select.addEventListener('change', () => onChange(select.value));
  return h('div', { class: 'sort-control' },
    h('label', { for: 'sort' }, 'Sort by'),
    select);
}
