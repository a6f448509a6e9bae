import { h } from '../dom.js';

// ISO 3166-1 alpha-2 codes (what the API takes); the names come from the browser
// (Intl.DisplayNames), in the page's language.
const CODES = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW ' +
  'BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI ' +
  'FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN ' +
  'IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME ' +
  'MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF ' +
  'PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV ' +
  'SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE ' +
  'YT ZA ZM ZW'
).split(' ');

const LOCALE = document.documentElement.lang || 'en-US';
let names = null;
try {
  names = new Intl.DisplayNames([LOCALE], { type: 'region' });
} catch {
  names = null;
}

export function countryName(code) {
  if (!code) return '';
  try {
    return (names && names.of(code)) || code;
  } catch {
    return code;
  }
}

// The visitor's own country as a default, from the browser's language (en-GB -> GB).
export function defaultCountry() {
  for (const tag of [...(navigator.languages || []), navigator.language, LOCALE]) {
    const m = /^[a-z]{2,3}-([A-Z]{2})\b/i.exec(tag || '');
    if (m && CODES.includes(m[1].toUpperCase())) return m[1].toUpperCase();
  }
  return 'US';
}

let sorted = null;
export function countryOptions(selected) {
  if (!sorted) {
    const collator = new Intl.Collator(LOCALE);
    sorted = CODES.map((code) => ({ code, name: countryName(code) })).sort((a, b) => collator.compare(a.name, b.name));
  }
  return sorted.map((c) => h('option', { value: c.code, selected: c.code === selected }, c.name));
}
