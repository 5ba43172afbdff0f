import { timingSafeEqual } from "node:crypto";
import { Environment, Paddle } from "@paddle/paddle-node-sdk";
import { basicAuthValidator } from "chargebee";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { SOURCE_NAMES, loadConfig } from "../../functions/config";
import { SOURCES } from "../../functions/sources";
import { SAMPLE_EVENT_TYPES, SAMPLE_UID, sampleEvent } from "../../tools/sample-events";
import { chargebeeAuthorization, paddleSignatureHeader, standardWebhookHeaders, stripeSignatureHeader } from "../../tools/sign";

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

  it("signs Paddle payloads so that the official SDK unmarshals them", async () => {
    const paddle = new Paddle("pdl_sdbx_apikey_01test", { environment: Environment.sandbox });
    const payload = JSON.stringify({ event_id: "evt_1", event_type: "customer.created", occurred_at: "2026-01-01T00:00:00Z", notification_id: "ntf_1", data: { id: "ctm_1" } });
    const secret = "pdl_ntfset_01send_tool";
    const now = Math.floor(Date.now() / 1000);
    expect(await paddle.webhooks.isSignatureValid(payload, secret, paddleSignatureHeader(payload, secret, now))).toBe(true);
    expect(await paddle.webhooks.isSignatureValid(payload, `${secret}x`, paddleSignatureHeader(payload, secret, now))).toBe(false);
  });

  it("sends Chargebee's credentials as the official basicAuthValidator reads them", async () => {
    const seen: string[] = [];
    const validate = basicAuthValidator((username, password) => {
      seen.push(`${username}|${password}`);
      return timingSafeEqual(Buffer.from(`${username}:${password}`), Buffer.from("bridge:pa:ss"));
    });
    await validate({ authorization: chargebeeAuthorization("bridge:pa:ss") });
    expect(seen).toEqual(["bridge|pa:ss"]);
  });
});

/** The secret each source's sample is signed with, and the headers that carry it. */
const SAMPLE_SECRET: Record<string, string> = { stripe: "whsec_sample", paddle: "pdl_ntfset_01sample", chargebee: "bridge:sample" };
function sampleHeaders(source: string, payload: string, secret: string): Record<string, string> {
  if (source === "stripe") return { "stripe-signature": stripeSignatureHeader(payload, secret, NOW) };
  if (source === "paddle") return { "paddle-signature": paddleSignatureHeader(payload, secret, NOW) };
  if (source === "chargebee") return { authorization: chargebeeAuthorization(secret) };
  return standardWebhookHeaders(payload, secret, "msg_1", NOW, "svix");
}

/** Paddle adjustments carry no custom data: their uid comes from the customer, through the identity directory. */
const NAMES_NO_UID = new Set(["paddle adjustment.created", "paddle adjustment.updated"]);

describe("send tool samples", () => {
  const cases = SOURCE_NAMES.flatMap((source) => SAMPLE_EVENT_TYPES[source].map((type) => [source, type] as const));

  it.each(cases)("builds a %s %s sample that the source verifies, parses and maps to an upsert for the given uid", (source, type) => {
    const body = sampleEvent(source, type, { uid: "user_sample", now: NOW });
    const payload = JSON.stringify(body);
    const secret = SAMPLE_SECRET[source] ?? "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const headers = sampleHeaders(source, payload, secret);
    const src = SOURCES[source];
    const verified = src.verify({ payload, headers, secrets: [secret], now: NOW * 1000 });
    const parsed = src.parse(JSON.parse(payload), verified);
    expect(parsed.kind).toBe("event");
    if (parsed.kind !== "event") return;
    expect(parsed.event.type).toBe(type);
    const expected = NAMES_NO_UID.has(`${source} ${type}`) ? { subject: expect.stringMatching(/^ctm_/) } : { uid: "user_sample" };
    expect(src.normalise(parsed.event, config)).toMatchObject({ kind: "mapped", mapped: expected });
  });

  it.each([["stripe", "customer.subscription.updated"], ["paddle", "subscription.updated"], ["chargebee", "subscription_changed"]] as const)(
    "weighs a %s sample like a real delivery: a few kilobytes",
    (source, type) => {
      expect(JSON.stringify(sampleEvent(source, type, { uid: SAMPLE_UID, now: NOW })).length).toBeGreaterThan(1500);
    },
  );

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
