import { minorUnits } from '../../billing/pricing/currency';

/** The page is in English; every figure is formatted the one way, whatever the browser. */
const LOCALE = 'en-US';

const moneyFormats = new Map<string, Intl.NumberFormat>();
const counts = new Intl.NumberFormat(LOCALE);
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An amount in its currency's format ("$1,234.50", "¥4,163", "KWD 1.500"), with the currency's
 * ISO minor-unit digits. The decimal string is formatted as a string (Intl.NumberFormat takes one
 * exactly), never through a float.
 */
export function money(amount: string, currency: string): string {
  let format = moneyFormats.get(currency);
  if (!format) {
    const digits = minorUnits(currency) ?? 2;
    format = new Intl.NumberFormat(LOCALE, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    moneyFormats.set(currency, format);
  }
  return format.format(amount as unknown as number);
}

export function count(value: number | string): string {
  return counts.format(typeof value === 'string' ? (value as unknown as number) : value);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-03-01 14:05 UTC": unambiguous in any country, and says its zone. */
export function utcDateTime(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

/** "2026-03-01" for a UTC day. */
export function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** "1 Mar" for a YYYY-MM-DD day: the chart's axis and its table. */
export function shortDay(day: string): string {
  return `${Number(day.slice(8, 10))} ${months[Number(day.slice(5, 7)) - 1]}`;
}
