import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { stripeSource } from "../../functions/sources/stripe";
import { minorUnitsPerMajor, toMajorUnits } from "../../functions/sources/stripe/currency";
import { monthlyRevenue } from "../../functions/sources/stripe/mapping";
import { SubscriptionSchema } from "../../functions/sources/stripe/schema";
import { invoiceObject, priceObject, stripeEvent, subscriptionItem, subscriptionObject } from "../support/stripe-events";

const config = loadConfig({});

function properties(type: string, object: Record<string, unknown>) {
  const parsed = stripeSource.parse(stripeEvent(type, object), { timestamp: 0 });
  if (parsed.kind !== "event") throw new Error(JSON.stringify(parsed));
  const result = stripeSource.normalise(parsed.event, config);
  if (result.kind !== "mapped" || !result.mapped.patch) throw new Error(JSON.stringify(result));
  return result.mapped.patch.properties;
}

const mrrOf = (items: Record<string, unknown>[], overrides: Record<string, unknown> = {}) =>
  monthlyRevenue(SubscriptionSchema.parse(subscriptionObject({ items, ...overrides })));

describe("Stripe amounts in major units", () => {
  it("reads three-decimal currencies in thousandths: 12.345 KWD a month is an MRR of 12.345", () => {
    for (const currency of ["bhd", "jod", "kwd", "omr", "tnd", "KWD"]) expect(minorUnitsPerMajor(currency)).toBe(1000);
    expect(toMajorUnits(12_345, "kwd")).toBe(12.345);
    const items = [subscriptionItem({ price: priceObject({ currency: "kwd", unit_amount: 12_345 }) })];
    expect(properties("customer.subscription.updated", subscriptionObject({ currency: "kwd", items }))).toMatchObject({ mrr: 12.345, currency: "kwd" });
  });

  it("keeps zero-decimal currencies whole and Stripe's two-decimal special cases (ISK, HUF, TWD) in hundredths", () => {
    expect(toMajorUnits(1999, "jpy")).toBe(1999);
    expect(toMajorUnits(1999, "ugx")).toBe(1999);
    for (const currency of ["isk", "huf", "twd", "usd"]) expect(toMajorUnits(1999, currency)).toBe(19.99);
  });

  it("prices a sub-cent price from unit_amount_decimal: half a cent × 1 000 seats is 5.00 a month", () => {
    const items = [subscriptionItem({ price: priceObject({ unit_amount: null, unit_amount_decimal: "0.5" }), quantity: 1000 })];
    expect(mrrOf(items)).toBe(5);
  });

  it("prefers unit_amount_decimal to unit_amount when both are given (the decimal is the exact one)", () => {
    const items = [subscriptionItem({ price: priceObject({ unit_amount: 1, unit_amount_decimal: "1.25" }), quantity: 4 })];
    expect(mrrOf(items)).toBe(0.05);
  });

  it("counts a metered price as 0: what it bills is known only when the invoice is made", () => {
    const metered = subscriptionItem({ price: priceObject({ unit_amount: 7, recurring: { interval: "month", interval_count: 1, usage_type: "metered" } }), quantity: undefined });
    const licensed = subscriptionItem({ id: "si_2", price: priceObject({ unit_amount: 2000 }), quantity: 1 });
    expect(mrrOf([metered, licensed])).toBe(20);
  });

  it("prices a tiered price from its tiers when they are known, volume and graduated, and as 0 when they are not", () => {
    const tiers = [
      { up_to: 5, unit_amount: 1000, flat_amount: 0 },
      { up_to: null, unit_amount: 800, flat_amount: 500 },
    ];
    const tiered = (mode: string | null, withTiers: boolean) =>
      subscriptionItem({ price: priceObject({ unit_amount: null, billing_scheme: "tiered", tiers_mode: mode, ...(withTiers ? { tiers } : {}) }), quantity: 8 });
    // Volume: all 8 at the second tier's 8.00, plus its flat 5.00.
    expect(mrrOf([tiered("volume", true)])).toBe(69);
    // Graduated: 5 × 10.00 + 3 × 8.00, plus the flat 5.00 of the second tier reached.
    expect(mrrOf([tiered("graduated", true)])).toBe(79);
    // A webhook's snapshot omits the tiers (API mode expands them).
    expect(mrrOf([tiered("volume", false)])).toBe(0);
  });

  it("sums the items a snapshot lists; has_more means the sum is partial (API mode fetches the rest)", () => {
    const items = Array.from({ length: 10 }, (_, i) => subscriptionItem({ id: `si_${i}`, price: priceObject({ unit_amount: 1000 }) }));
    const subscription = subscriptionObject({ items });
    subscription.items = { ...(subscription.items as object), has_more: true };
    expect(properties("customer.subscription.updated", subscription)).toMatchObject({ mrr: 100, seats: 10 });
  });

  it("brings yearly, weekly and every-three-months prices to one month", () => {
    const every = (interval: string, count: number) => [subscriptionItem({ price: priceObject({ unit_amount: 12_000, recurring: { interval, interval_count: count } }) })];
    expect(mrrOf(every("year", 1))).toBe(10);
    expect(mrrOf(every("month", 3))).toBe(40);
    expect(mrrOf(every("week", 1))).toBe(520);
  });
});

describe("payments of 0", () => {
  it("does not write a $0 paid invoice (a trial's start, a 100 % coupon) as the last payment", () => {
    const props = properties("invoice.paid", invoiceObject({ amount_paid: 0 }));
    expect(props).not.toHaveProperty("last_payment_amount");
    expect(props).not.toHaveProperty("last_payment_at");
    expect(props).toMatchObject({ stripe_customer_id: "cus_Test123" });
  });

  it("is not ordered against real payments, so a later-arriving older payment still writes", () => {
    const parsed = stripeSource.parse(stripeEvent("invoice.paid", invoiceObject({ amount_paid: 0 })), { timestamp: 0 });
    if (parsed.kind !== "event") throw new Error("no event");
    const result = stripeSource.normalise(parsed.event, config);
    expect(result.kind === "mapped" && result.mapped.order).toBeUndefined();
  });
});
