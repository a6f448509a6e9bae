import { h } from '../dom.js';
import { stockLabel } from '../format.js';

// "Only 3 left" / "Out of stock" on a card; nothing when there is plenty.
export function stockBadge(stock) {
  const label = stockLabel(stock);
  if (!label) return null;
  return h('span', { class: `badge badge-${label.kind}` }, label.text);
}
