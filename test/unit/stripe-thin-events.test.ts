import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { stripeSource } from "../../functions/sources/stripe";
import { thinEvent } from "../support/stripe-events";

const SECRET = "whsec_thin_events";
const stripe = new Stripe("sk_test_unused");
const NOW = Date.parse("2024-02-01T00:00:10Z");

function signed(body: Record<string, unknown>) {
  const payload = JSON.stringify(body);
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: Math.floor(NOW / 1000) });
  return { payload, header };
}

describe("Stripe thin events (event destinations)", () => {
  it("verifies and parses a thin event as the official parseEventNotification does", () => {
    const { payload, header } = signed(thinEvent("customer.subscription.updated", { id: "sub_Thin1", type: "subscription" }, { id: "evt_thin_1" }));
    const verified = stripeSource.verify({ payload, headers: { "stripe-signature": header }, secrets: [SECRET], now: NOW });
    const parsed = stripeSource.parse(JSON.parse(payload), verified);
    const official = stripe.parseEventNotification(payload, header, SECRET, undefined, undefined, Math.floor(NOW / 1000)) as {
      id: string;
      type: string;
      created: string;
      livemode: boolean;
      related_object?: { id: string; type: string } | null;
    };
    expect(parsed).toMatchObject({
      kind: "event",
      event: {
        id: official.id,
        type: official.type,
        occurredAt: new Date(official.created).toISOString(),
        livemode: official.livemode,
        data: { type: "thin", of: "customer.subscription.updated", related: { id: official.related_object?.id, type: official.related_object?.type } },
      },
    });
  });

  it("maps a thin event to no state of its own, only what API mode fetches", () => {
    const parsed = stripeSource.parse(thinEvent("invoice.paid", { id: "in_Thin1", type: "invoice" }), { timestamp: 0 });
    if (parsed.kind !== "event") throw new Error(JSON.stringify(parsed));
    expect(stripeSource.normalise(parsed.event, loadConfig({}))).toEqual({ kind: "mapped", mapped: { patch: null, refresh: { family: "thin:invoice", id: "in_Thin1" } } });
    const customer = stripeSource.parse(thinEvent("customer.updated", { id: "cus_Thin1", type: "customer" }), { timestamp: 0 });
    if (customer.kind !== "event") throw new Error(JSON.stringify(customer));
    expect(stripeSource.normalise(customer.event, loadConfig({}))).toMatchObject({ kind: "mapped", mapped: { subject: "cus_Thin1" } });
  });

  it("ignores thin events of types the mapping does not handle, or naming no object", () => {
    expect(stripeSource.parse(thinEvent("payout.paid", { id: "po_1", type: "payout" }), { timestamp: 0 })).toEqual({ kind: "ignored", reason: "unmapped_event_type" });
    expect(stripeSource.parse(thinEvent("v2.core.event_destination.ping", { id: "ed_1", type: "x" }, { type: "v2.core.event_destination.ping" }), { timestamp: 0 })).toMatchObject({ kind: "ignored" });
    expect(stripeSource.parse(thinEvent("invoice.paid", { id: "in_1", type: "invoice" }, { related_object: null }), { timestamp: 0 })).toMatchObject({ kind: "ignored" });
  });

  it("answers a malformed thin event with the paths at fault", () => {
    expect(stripeSource.parse({ ...thinEvent("invoice.paid", { id: "in_1", type: "invoice" }), created: 42, livemode: "no" }, { timestamp: 0 })).toEqual({
      kind: "invalid",
      issues: ["created", "livemode"],
    });
  });
});
