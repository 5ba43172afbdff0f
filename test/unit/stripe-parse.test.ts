import { describe, expect, it } from "vitest";
import { STRIPE_MAPPED_EVENT_TYPES, stripeSource } from "../../functions/sources/stripe";
import {
  chargeObject,
  checkoutSessionObject,
  customerObject,
  invoiceObject,
  legacyInvoiceObject,
  subscriptionObject,
  stripeEvent,
} from "../support/stripe-events";

const parse = (body: unknown) => stripeSource.parse(body, { timestamp: 0 });

describe("Stripe event parsing", () => {
  it("turns the envelope into a SourceEvent with an ISO occurredAt", () => {
    const body = stripeEvent("customer.created", customerObject(), { id: "evt_1", created: 1_700_000_000, livemode: true });
    const parsed = parse(body);
    expect(parsed.kind).toBe("event");
    if (parsed.kind !== "event") return;
    expect(parsed.event).toMatchObject({
      id: "evt_1",
      type: "customer.created",
      occurredAt: "2023-11-14T22:13:20.000Z",
      livemode: true,
      data: { type: "customer.created", object: { id: "cus_Test123" } },
    });
  });

  it("maps exactly the event types of the design", () => {
    expect([...STRIPE_MAPPED_EVENT_TYPES].sort()).toEqual(
      [
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.trial_will_end",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "checkout.session.completed",
        "charge.refunded",
      ].sort(),
    );
  });

  it("ignores an unmapped event type without looking at its object", () => {
    expect(parse(stripeEvent("payment_intent.created", { id: "pi_1", anything: [1, 2] }))).toEqual({
      kind: "ignored",
      reason: "unmapped_event_type",
    });
  });

  it("accepts fields it does not know, at every level", () => {
    const body = stripeEvent("customer.subscription.updated", subscriptionObject({ brand_new_field: { x: 1 } }), {
      context: "acct_1",
    });
    expect(parse(body).kind).toBe("event");
  });

  it.each([
    ["customer.updated", customerObject()],
    ["customer.deleted", { id: "cus_Test123", object: "customer", deleted: true }],
    ["customer.subscription.trial_will_end", subscriptionObject()],
    ["invoice.payment_succeeded", invoiceObject()],
    ["invoice.paid", legacyInvoiceObject()],
    ["checkout.session.completed", checkoutSessionObject()],
    ["charge.refunded", chargeObject()],
  ])("accepts a %s event", (type, object) => {
    expect(parse(stripeEvent(type, object)).kind).toBe("event");
  });

  it("accepts an expanded customer object where an id is expected", () => {
    const body = stripeEvent("invoice.paid", invoiceObject({ customer: { id: "cus_Test123", object: "customer" } }));
    expect(parse(body).kind).toBe("event");
  });

  it("reports a schema mismatch in data.object by its path in the body, without values", () => {
    const secret = "ada@secret.example";
    const body = stripeEvent("invoice.paid", invoiceObject({ customer: 42, amount_paid: "lots", customer_email: { secret } }));
    const parsed = parse(body);
    expect(parsed).toEqual({
      kind: "invalid",
      issues: expect.arrayContaining(["data.object.customer", "data.object.amount_paid", "data.object.customer_email"]),
    });
    expect(JSON.stringify(parsed)).not.toContain(secret);
  });

  it("reports a subscription without items as invalid at its missing first item", () => {
    const parsed = parse(stripeEvent("customer.subscription.created", subscriptionObject({ items: [] })));
    expect(parsed).toEqual({ kind: "invalid", issues: ["data.object.items.data.0"] });
  });

  it("reports a broken envelope by its paths", () => {
    const parsed = parse({ id: "evt_1", type: "customer.created", created: "yesterday", data: {} });
    expect(parsed).toEqual({ kind: "invalid", issues: ["created", "livemode", "data.object"] });
  });

  it.each([[null], ["text"], [42], [[]], [{ data: null }]])("reports a body that is not an event (%j) as invalid", (body) => {
    expect(parse(body).kind).toBe("invalid");
  });

  it("refuses a timestamp beyond the year 9999 instead of throwing on the date", () => {
    expect(parse(stripeEvent("customer.created", customerObject(), { created: 1e15 }))).toEqual({
      kind: "invalid",
      issues: ["created"],
    });
  });
});
