import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../functions/config";
import { polarSource } from "../../functions/sources/polar";
import type { Mapped, Verified } from "../../functions/sources/types";
import { CUSTOMER_ID, EVENT_AT, SUBSCRIPTION_ID, polarCustomer, polarEvent, polarOrder, polarSubscription } from "../support/polar-events";

const VERIFIED: Verified = { id: "8f7e6d5c-4b3a-4291-8a7b-6c5d4e3f2a1b", timestamp: 1_738_368_000 };
const config: Config = loadConfig({});
const AT = Date.parse(EVENT_AT);

function parseEvent(body: unknown) {
  const parsed = polarSource.parse(body, VERIFIED);
  if (parsed.kind !== "event") throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed.event;
}

function mappedOf(body: unknown, c: Config = config): Mapped {
  const result = polarSource.normalise(parseEvent(body), c);
  if (result.kind !== "mapped") throw new Error(`expected a mapping, got ${JSON.stringify(result)}`);
  return result.mapped;
}

const propertiesOf = (body: unknown) => mappedOf(body).patch?.properties ?? {};

describe("Polar events", () => {
  it("takes the webhook-id as the event id and the envelope's timestamp as the time, and cannot tell test mode", () => {
    const event = parseEvent(polarEvent("subscription.created", polarSubscription()));
    expect(event).toMatchObject({ id: VERIFIED.id, type: "subscription.created", occurredAt: EVENT_AT });
    expect(event.livemode).toBeUndefined();
  });

  it("ignores event types it does not map, whatever their data", () => {
    for (const type of ["checkout.created", "benefit_grant.created", "customer.state_changed", "order.created"]) {
      expect(polarSource.parse(polarEvent(type, { id: 1 }), VERIFIED)).toEqual({ kind: "ignored", reason: "unmapped_event_type" });
    }
  });

  it("reports the body's paths of a malformed subscription, never the values", () => {
    const parsed = polarSource.parse(polarEvent("subscription.updated", polarSubscription({ amount: "ada@example.com", customer: { id: 7 } })), VERIFIED);
    expect(parsed).toEqual({ kind: "invalid", issues: expect.arrayContaining(["data.amount", "data.customer.id"]) });
    expect(JSON.stringify(parsed)).not.toContain("ada@example.com");
  });

  it("refuses an envelope without a zoned ISO timestamp", () => {
    expect(polarSource.parse(polarEvent("subscription.updated", polarSubscription(), "2025-02-01 00:00:00"), VERIFIED)).toEqual({ kind: "invalid", issues: ["timestamp"] });
  });
});

describe("Polar subscriptions", () => {
  it("turns subscription.created into the vocabulary's subscription properties, MRR per month in major units", () => {
    expect(mappedOf(polarEvent("subscription.created", polarSubscription()))).toEqual({
      uid: "user_ada",
      subject: CUSTOMER_ID,
      order: { key: `subscription:${CUSTOMER_ID}`, at: AT },
      patch: {
        email: "ada@example.com",
        display_name: "Ada Lovelace",
        properties: {
          billing_provider: "polar",
          polar_customer_id: CUSTOMER_ID,
          subscription_id: SUBSCRIPTION_ID,
          plan: "Pro",
          plan_interval: "month",
          plan_interval_count: 1,
          subscription_status: "active",
          seats: 3,
          mrr: 147,
          currency: "usd",
          current_period_end: "2025-02-15T00:00:00.000Z",
          cancel_at_period_end: false,
        },
        schema: {
          properties: {
            billing_provider: "str",
            polar_customer_id: "str",
            subscription_id: "str",
            plan: "str",
            plan_interval: "str",
            plan_interval_count: "int",
            subscription_status: "str",
            seats: "int",
            mrr: "real",
            currency: "str",
            current_period_end: "date",
            cancel_at_period_end: "bool",
          },
        },
      },
      events: [
        {
          name: "Subscription Started",
          properties: { plan: ["str", "Pro"], mrr: ["real", 147], currency: ["str", "usd"], plan_interval: ["str", "month"], seats: ["int", 3] },
        },
      ],
    });
  });

  it("brings yearly and every-3-months amounts to one month", () => {
    expect(propertiesOf(polarEvent("subscription.updated", polarSubscription({ recurring_interval: "year", amount: 120_000 }))).mrr).toBe(100);
    expect(propertiesOf(polarEvent("subscription.updated", polarSubscription({ recurring_interval_count: 3, amount: 14_700 }))).mrr).toBe(49);
  });

  it("writes MRR 0 for a trial, with its end, and counts one seat for a subscription not priced per seat", () => {
    const properties = propertiesOf(polarEvent("subscription.created", polarSubscription({ status: "trialing", trial_end: "2025-01-15T00:00:00Z", seats: null })));
    expect(properties).toMatchObject({ subscription_status: "trialing", mrr: 0, trial_ends_at: "2025-01-15T00:00:00.000Z", seats: 1 });
  });

  it("keeps an active subscription canceled at the period's end active, with cancel_at_period_end and canceled_at", () => {
    const body = polarEvent("subscription.canceled", polarSubscription({ cancel_at_period_end: true, canceled_at: "2025-01-20T10:00:00Z" }));
    expect(propertiesOf(body)).toMatchObject({ subscription_status: "active", cancel_at_period_end: true, canceled_at: "2025-01-20T10:00:00.000Z", mrr: 147 });
  });

  it("turns subscription.uncanceled and subscription.active into the subscription as it now is", () => {
    expect(propertiesOf(polarEvent("subscription.uncanceled", polarSubscription()))).toMatchObject({ subscription_status: "active", cancel_at_period_end: false });
    expect(propertiesOf(polarEvent("subscription.active", polarSubscription()))).toMatchObject({ subscription_status: "active", mrr: 147 });
  });

  it("marks a revoked subscription canceled with MRR 0, whatever status the snapshot still shows", () => {
    expect(propertiesOf(polarEvent("subscription.revoked", polarSubscription({ status: "active" })))).toMatchObject({ subscription_status: "canceled", mrr: 0 });
  });

  it("writes past_due with its MRR, as Stripe does", () => {
    expect(propertiesOf(polarEvent("subscription.updated", polarSubscription({ status: "past_due" })))).toMatchObject({ subscription_status: "past_due", mrr: 147 });
  });

  it("names the plan by product id when the product has no name", () => {
    expect(propertiesOf(polarEvent("subscription.updated", polarSubscription({ product: { id: "prod-1", name: " " } }))).plan).toBe("prod-1");
  });

  it("writes no email or name of a team customer: they are the team's, not a person's", () => {
    const patch = mappedOf(polarEvent("subscription.updated", polarSubscription({ customer: polarCustomer({ type: "team", name: "Acme Ltd", email: "billing@acme.example" }) }))).patch;
    expect(patch).not.toHaveProperty("email");
    expect(patch).not.toHaveProperty("display_name");
  });
});

describe("Polar orders and customers", () => {
  it("turns order.paid into last_payment_* of the total charged, tax included", () => {
    const mapped = mappedOf(polarEvent("order.paid", polarOrder()));
    expect(mapped.patch?.properties).toEqual({
      billing_provider: "polar",
      polar_customer_id: CUSTOMER_ID,
      last_payment_at: EVENT_AT,
      last_payment_amount: 58.8,
      currency: "usd",
    });
    expect(mapped.order).toEqual({ key: `payment:${CUSTOMER_ID}`, at: AT });
  });

  it("writes no last_payment_* for a free order, and does not order it against real payments", () => {
    const mapped = mappedOf(polarEvent("order.paid", polarOrder({ total_amount: 0 })));
    expect(mapped.patch?.properties).toEqual({ billing_provider: "polar", polar_customer_id: CUSTOMER_ID });
    expect(mapped.order).toBeUndefined();
  });

  it("turns order.refunded into last_refund_* of everything refunded so far, tax included", () => {
    const mapped = mappedOf(polarEvent("order.refunded", polarOrder({ status: "partially_refunded", refunded_amount: 2_450, refunded_tax_amount: 490 })));
    expect(mapped.patch?.properties).toEqual({ billing_provider: "polar", polar_customer_id: CUSTOMER_ID, last_refund_at: EVENT_AT, last_refund_amount: 29.4 });
    expect(mapped.order?.key).toBe(`refund:${CUSTOMER_ID}`);
  });

  it("turns customer.created and customer.updated into the customer's id, email, name and customer_since", () => {
    for (const type of ["customer.created", "customer.updated"]) {
      expect(mappedOf(polarEvent(type, polarCustomer()))).toEqual({
        uid: "user_ada",
        subject: CUSTOMER_ID,
        order: { key: `customer:${CUSTOMER_ID}`, at: AT },
        patch: {
          email: "ada@example.com",
          display_name: "Ada Lovelace",
          properties: { billing_provider: "polar", polar_customer_id: CUSTOMER_ID, customer_since: "2025-01-01T00:00:00.000Z" },
          schema: { properties: { billing_provider: "str", polar_customer_id: "str", customer_since: "date" } },
        },
      });
    }
  });
});

describe("Polar uid", () => {
  it("takes the customer's external_id first, then the object's metadata, then the customer's, by the configured keys", () => {
    const withMetadata = (external: string | null) =>
      polarEvent("order.paid", polarOrder({ metadata: { user_id: "from-order" }, customer: polarCustomer({ external_id: external, metadata: { fullstory_uid: "from-customer" } }) }));
    expect(mappedOf(withMetadata("ext-1")).uid).toBe("ext-1");
    expect(mappedOf(withMetadata(null)).uid).toBe("from-order");
    expect(mappedOf(withMetadata(null), loadConfig({ POLAR_UID_METADATA_KEYS: "fullstory_uid" })).uid).toBe("from-customer");
  });

  it("leaves the uid to the identity directory, by customer id, when none is found", () => {
    const mapped = mappedOf(polarEvent("subscription.updated", polarSubscription({ customer: polarCustomer({ external_id: null, metadata: { fullstory_uid: 42 } }) })));
    expect(mapped.uid).toBeUndefined();
    expect(mapped.subject).toBe(CUSTOMER_ID);
  });
});
