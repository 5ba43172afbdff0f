/**
 * Stripe amounts are integers in the currency's minor unit: cents for most currencies, whole units
 * for zero-decimal ones, thousandths for three-decimal ones. https://docs.stripe.com/currencies
 *
 * Special cases on that page: ISK is zero-decimal but, for backwards compatibility, still sent as a
 * two-decimal amount (always ending in 00); HUF and TWD are zero-decimal only for payouts, their
 * charge amounts being two-decimal. So all three divide by 100 and are not listed here. UGX is on
 * the zero-decimal list: its amounts are whole shillings (its note there concerns how payouts are
 * rounded).
 */
const ZERO_DECIMAL: ReadonlySet<string> = new Set([
  "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
]);

/** https://docs.stripe.com/currencies#three-decimal: amounts in thousandths (12.345 KWD is 12345). */
const THREE_DECIMAL: ReadonlySet<string> = new Set(["bhd", "jod", "kwd", "omr", "tnd"]);

/** How many minor units make one major unit of `currency` (1, 100 or 1000), in any letter case. */
export function minorUnitsPerMajor(currency: string): number {
  const c = currency.toLowerCase();
  return ZERO_DECIMAL.has(c) ? 1 : THREE_DECIMAL.has(c) ? 1000 : 100;
}

/** True for Stripe's zero-decimal currencies (`jpy`, `krw`, …), in any letter case. */
export function isZeroDecimal(currency: string): boolean {
  return minorUnitsPerMajor(currency) === 1;
}

/**
 * A Stripe minor-unit amount in major units (`1999` usd → `19.99`, `1999` jpy → `1999`, `12345` kwd
 * → `12.345`), rounded to cents (to thousandths for three-decimal currencies) so that sums of
 * fractions (monthly shares of a yearly price, sub-cent prices) do not show binary noise.
 */
export function toMajorUnits(amount: number, currency: string): number {
  const per = minorUnitsPerMajor(currency);
  const scale = per === 1000 ? 1000 : 100;
  return Math.round((amount / per) * scale) / scale;
}
