import { isoTime } from "../iso-time";
import { LIMITS, type PropertyType, type UserPatch } from "../upsert";

/**
 * The billing vocabulary every billing source writes (DESIGN.md, "Billing vocabulary"), so that one
 * Fullstory segment works whatever the billing system: the property names, their declared types,
 * and the few rules they share (what MRR counts, which statuses pay, how money is written).
 */

/** A property with its declared Fullstory type, or undefined to leave it out of the patch. */
export type Typed = readonly [PropertyType, string | number | boolean] | undefined;

/** Seconds since the epoch as a date property. */
export const date = (seconds: number | null | undefined): Typed => (seconds == null ? undefined : ["date", isoTime(seconds * 1000)]);
/** An ISO-8601 time (already in that form, or parsed from one) as a date property. */
export const dateIso = (value: string | null | undefined): Typed => {
  if (value == null) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ["date", isoTime(ms)];
};
export const str = (value: string | null | undefined): Typed => (value == null || value === "" ? undefined : ["str", value]);
export const int = (value: number | null | undefined): Typed => (value == null ? undefined : ["int", value]);
export const real = (value: number | null | undefined): Typed => (value == null ? undefined : ["real", value]);
export const bool = (value: boolean | null | undefined): Typed => (value == null ? undefined : ["bool", value]);

/** Fullstory refuses an over-long email or display name; leaving it out keeps the rest of the upsert. */
const fits = (value: string | null | undefined, limit: number): string | undefined => (value && value.length <= limit ? value : undefined);

/**
 * The first usable uid among the candidates, in order. Empty values are skipped (providers clear a
 * metadata key by setting it to ""), and so are values over Fullstory's uid limit, which it would refuse.
 */
export const firstUid = (candidates: readonly (string | null | undefined)[]): string | undefined =>
  candidates.find((c): c is string => typeof c === "string" && c.length > 0 && c.length <= LIMITS.uid);

/** The values of `keys` in a provider's free-form metadata (`custom_data`, `meta_data`…), in order. */
export function fromMetadata(metadata: unknown, keys: readonly string[]): (string | undefined)[] {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return keys.map(() => undefined);
  const record = metadata as Record<string, unknown>;
  return keys.map((key) => (Object.hasOwn(record, key) && typeof record[key] === "string" ? (record[key] as string) : undefined));
}

/** The patch of `props` (undefined ones left out), each declared in `schema.properties`, with the person's email and name. */
export function patchOf(props: Record<string, Typed>, person: { email?: string | null; name?: string | null } = {}): UserPatch {
  const properties: UserPatch["properties"] = {};
  const types: Record<string, PropertyType> = {};
  for (const name in props) {
    const typed = props[name];
    if (typed === undefined) continue;
    properties[name] = typed[1];
    types[name] = typed[0];
  }
  const patch: UserPatch = { properties, schema: { properties: types } };
  const email = fits(person.email, LIMITS.email);
  const displayName = fits(person.name, LIMITS.displayName);
  if (email !== undefined) patch.email = email;
  if (displayName !== undefined) patch.display_name = displayName;
  return patch;
}

export type BillingInterval = "day" | "week" | "month" | "year";

/**
 * Months per billing interval, to bring a price to one month: a year is 12 months (÷ 12), a week
 * 12/52 of a month (× 52/12), a day 12/365 (× 365/12). A price billed every `count` intervals is
 * further divided by that count (3-monthly: ÷ 3).
 */
const MONTHS_PER_INTERVAL: Readonly<Record<BillingInterval, number>> = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 };

/** An amount charged every `count` `interval`s, as its share of one month. */
export function perMonth(amount: number, interval: BillingInterval, count: number): number {
  return amount / (MONTHS_PER_INTERVAL[interval] * count);
}

/**
 * The statuses, in the vocabulary's (Stripe's) words, whose subscription brings in revenue: MRR is
 * 0 in every other. https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses
 */
export const PAYING_STATUSES: ReadonlySet<string> = new Set(["active", "past_due"]);

/**
 * Minor units per major unit by ISO 4217 (currencies with 0 or 3 decimals; every other has 2), for
 * providers that send amounts in the currency's smallest unit as ISO defines it (Paddle, Chargebee,
 * Lemon Squeezy, Polar). Stripe has its own special cases (functions/sources/stripe/currency.ts).
 * https://www.iso.org/iso-4217-currency-codes.html
 */
const ISO_ZERO_DECIMAL: ReadonlySet<string> = new Set([
  "bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "pyg", "rwf", "ugx", "uyi", "vnd", "vuv", "xaf", "xof", "xpf",
]);
const ISO_THREE_DECIMAL: ReadonlySet<string> = new Set(["bhd", "iqd", "jod", "kwd", "lyd", "omr", "tnd"]);

/** An amount in the currency's smallest ISO unit as major units, rounded to cents (thousandths for three-decimal currencies). */
export function isoMajorUnits(amount: number, currency: string): number {
  const c = currency.toLowerCase();
  const per = ISO_ZERO_DECIMAL.has(c) ? 1 : ISO_THREE_DECIMAL.has(c) ? 1000 : 100;
  const scale = per === 1000 ? 1000 : 100;
  return Math.round((amount / per) * scale) / scale;
}
