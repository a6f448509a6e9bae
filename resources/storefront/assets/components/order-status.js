// How orders read to a shopper: status names and badges, dates, and the timeline of
// an order's events.
import { h } from '../dom.js';

const LOCALE = document.documentElement.lang || 'en-US';
const dateFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short' });

const STATUSES = {
  pending_payment: { label: 'Pending payment', tone: 'warn' },
  paid: { label: 'Paid', tone: 'info' },
  packed: { label: 'Packed', tone: 'info' },
  shipped: { label: 'Shipped', tone: 'info' },
  delivered: { label: 'Delivered', tone: 'ok' },
  cancelled: { label: 'Cancelled', tone: 'bad' },
  refunded: { label: 'Refunded', tone: 'muted' },
};

const PAYMENT_STATUSES = {
  pending: 'Awaiting payment',
  unpaid: 'Awaiting payment',
  paid: 'Paid',
  succeeded: 'Paid',
  failed: 'Payment failed',
  refunded: 'Refunded',
  partially_refunded: 'Partly refunded',
  cancelled: 'Cancelled',
  void: 'Cancelled',
};

// "some_status" -> "Some status" for a value this page does not know yet.
function humanize(value) {
  const text = String(value || '').replace(/_/g, ' ').trim();
  return text ? text[0].toUpperCase() + text.slice(1) : '—';
}

export function statusLabel(status) {
  return STATUSES[status] ? STATUSES[status].label : humanize(status);
}

export function paymentStatusLabel(status) {
  return PAYMENT_STATUSES[status] || humanize(status);
}

export function statusBadge(status) {
  const tone = STATUSES[status] ? STATUSES[status].tone : 'muted';
  return h('span', { class: `badge status-badge status-${tone}`, dataset: { status: String(status || '') } }, statusLabel(status));
}

function parse(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

// <time> with the machine-readable value and a local, readable text.
export function timeElement(iso, { withTime = false } = {}) {
  const d = parse(iso);
  if (!d) return h('span', {}, '—');
  return h('time', { datetime: d.toISOString() }, (withTime ? dateTimeFormat : dateFormat).format(d));
}

export function formatDateTime(iso) {
  const d = parse(iso);
  return d ? dateTimeFormat.format(d) : '';
}

// What happened, oldest first: "Order placed", then each status change with its note.
export function timeline(events) {
  const list = Array.isArray(events) ? events : [];
  if (!list.length) return h('p', { class: 'muted' }, 'Nothing has happened to this order yet.');
  return h('ol', { class: 'timeline' },
    list.map((event, i) => {
      const created = !event.from_status;
      const status = event.to_status;
      // The server's own words for the creation ("Order placed") are the title already.
      const note = created && /^order placed\.?$/i.test(String(event.note || '').trim()) ? '' : event.note;
      const tone = STATUSES[status] ? STATUSES[status].tone : 'muted';
      return h('li', {
        class: `timeline-item timeline-${tone}${i === list.length - 1 ? ' is-latest' : ''}`,
        dataset: { status: String(status || '') },
      },
      h('span', { class: 'timeline-dot', 'aria-hidden': 'true' }),
      h('div', { class: 'timeline-body' },
        h('p', { class: 'timeline-title' }, created ? `Order placed · ${statusLabel(status)}` : statusLabel(status)),
        h('p', { class: 'timeline-time' }, timeElement(event.created_at, { withTime: true })),
        note ? h('p', { class: 'timeline-note' }, note) : null));
    }));
}
