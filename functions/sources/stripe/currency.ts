/**
 * Stripe amounts are integers in the currency's minor unit, except for zero-decimal currencies,
 * whose amounts are already whole units. https://docs.stripe.com/currencies#zero-decimal
 *
 * Special cases on that page: ISK is zero-decimal but, for backwards compatibility, still sent as a
 * two-decimal amount (always ending in 00); HUF and TWD are zero-decimal only for payouts, their
 * charge amounts being two-decimal. So all three divide by 100 and are not listed here. UGX is on
 * the list: its amounts are whole shillings (its note there concerns how payouts are rounded).
 */
const ZERO_DECIMAL: ReadonlySet<string> = new Set([
  "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
]);

/** True for Stripe's zero-decimal currencies (`jpy`, `krw`, …), in any letter case. */
export function isZeroDecimal(currency: string): boolean {
  return ZERO_DECIMAL.has(currency.toLowerCase());
}

/**
 * A Stripe minor-unit amount in major units (`1999` usd → `19.99`, `1999` jpy → `1999`), rounded to
 * cents so that sums of fractions (monthly shares of a yearly price) do not show binary noise.
 */
export function toMajorUnits(amount: number, currency: string): number {
  const major = isZeroDecimal(currency) ? amount : amount / 100;
  return Math.round(major * 100) / 100;
}
