import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { SOURCE_NAMES, loadConfig } from "../../functions/config";
import { SOURCES } from "../../functions/sources";
import { SAMPLE_EVENT_TYPES, SAMPLE_UID, sampleEvent } from "../../tools/sample-events";
import { standardWebhookHeaders, stripeSignatureHeader } from "../../tools/sign";

const stripe = new Stripe("sk_test_unused");
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const config = loadConfig({});

describe("send tool signing", () => {
  it("signs Stripe payloads exactly as the official library does", () => {
    const payload = JSON.stringify({ id: "evt_1", object: "event" });
    const secret = "whsec_send_tool";
    expect(stripeSignatureHeader(payload, secret, NOW)).toBe(stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: NOW }));
  });

  it("signs Standard Webhooks payloads exactly as the official library does, under webhook-* or svix-* names", () => {
    const payload = '{"uid":"user_1"}';
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const official = new Webhook(secret).sign("msg_1", new Date(NOW * 1000), payload);
    expect(standardWebhookHeaders(payload, secret, "msg_1", NOW)).toEqual({
      "webhook-id": "msg_1",
      "webhook-timestamp": String(NOW),
      "webhook-signature": official,
    });
    expect(standardWebhookHeaders(payload, secret, "msg_1", NOW, "svix")["svix-signature"]).toBe(official);
  });
});

describe("send tool samples", () => {
  const cases = SOURCE_NAMES.flatMap((source) => SAMPLE_EVENT_TYPES[source].map((type) => [source, type] as const));

  it.each(cases)("builds a %s %s sample that the source verifies, parses and maps to an upsert for the given uid", (source, type) => {
    const body = sampleEvent(source, type, { uid: "user_sample", now: NOW });
    const payload = JSON.stringify(body);
    const secret = source === "stripe" ? "whsec_sample" : "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const headers = source === "stripe" ? { "stripe-signature": stripeSignatureHeader(payload, secret, NOW) } : standardWebhookHeaders(payload, secret, "msg_1", NOW, "svix");
    const src = SOURCES[source];
    const verified = src.verify({ payload, headers, secrets: [secret], now: NOW * 1000 });
    const parsed = src.parse(JSON.parse(payload), verified);
    expect(parsed.kind).toBe("event");
    if (parsed.kind !== "event") return;
    expect(parsed.event.type).toBe(type);
    expect(src.normalise(parsed.event, config)).toMatchObject({ kind: "mapped", mapped: { uid: "user_sample" } });
  });

  it("weighs a Stripe sample like a real delivery: a few kilobytes", () => {
    const bytes = JSON.stringify(sampleEvent("stripe", "customer.subscription.updated", { uid: SAMPLE_UID, now: NOW })).length;
    expect(bytes).toBeGreaterThan(1500);
  });

  it("builds a Stripe sample without a uid, which only the identity directory (its customer) can resolve", () => {
    const body = sampleEvent("stripe", "invoice.paid", { now: NOW });
    const parsed = SOURCES.stripe.parse(body, { timestamp: NOW });
    expect(parsed.kind).toBe("event");
    const normalised = parsed.kind === "event" ? SOURCES.stripe.normalise(parsed.event, config) : undefined;
    expect(normalised?.kind === "mapped" && normalised.mapped.uid).toBeUndefined();
    expect(normalised).toMatchObject({ kind: "mapped", mapped: { subject: expect.stringMatching(/^cus_/) } });
  });

  it("has no sample for an event type the mapping does not handle", () => {
    expect(sampleEvent("stripe", "payout.paid", { now: NOW })).toBeUndefined();
  });
});
