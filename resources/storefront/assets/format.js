// Display formatting. Money arrives as integer minor units (price_cents) plus an ISO
// 4217 code and is turned into an exact decimal string before Intl formats it: no
// float arithmetic ever touches a price.

const LOCALE = document.documentElement.lang || 'en-US';
const moneyFormats = new Map();
const numberFormat = new Intl.NumberFormat(LOCALE);

function moneyFormat(currency) {
  let format = moneyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency });
    } catch {
      format = null; // not an ISO 4217 code Intl knows
    }
    moneyFormats.set(currency, format);
  }
  return format;
}

// "1999" with 2 fraction digits -> "19.99"; "-5" -> "-0.05".
export function minorUnitsToDecimal(minor, digits) {
  const value = BigInt(minor);
  const negative = value < 0n;
  const text = (negative ? -value : value).toString().padStart(digits + 1, '0');
  const whole = digits ? text.slice(0, -digits) : text;
  const fraction = digits ? `.${text.slice(-digits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

export function formatMoney(minor, currency = 'USD') {
  if (!Number.isSafeInteger(minor)) return '';
  const format = moneyFormat(currency);
  if (!format) return `${minorUnitsToDecimal(minor, 2)} ${currency}`;
  const digits = format.resolvedOptions().maximumFractionDigits;
  // Intl.NumberFormat formats a decimal string exactly (no conversion to a double).
  return format.format(minorUnitsToDecimal(minor, digits));
}

// A product's price: price_cents + currency (the exact fields), never `price`.
export function productPrice(product) {
  return formatMoney(product.price_cents, product.currency || 'USD');
}

export function formatCount(n) {
  return numberFormat.format(n);
}

export function plural(n, one, many = `${one}s`) {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

// How many are left, for badges: null when there is plenty.
export const LOW_STOCK = 5;
export function stockLabel(stock) {
  if (!Number.isFinite(stock) || stock <= 0) return { text: 'Out of stock', kind: 'out' };
  if (stock <= LOW_STOCK) return { text: `Only ${formatCount(stock)} left`, kind: 'low' };
  return null;
}
