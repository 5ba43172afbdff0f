import { timingSafeEqual } from "node:crypto";
import { Environment, Paddle } from "@paddle/paddle-node-sdk";
import { basicAuthValidator } from "chargebee";
import { createHmac } from "node:crypto";
import { validateEvent } from "@polar-sh/sdk/webhooks";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { SOURCE_NAMES, loadConfig, type SourceName } from "../../functions/config";
import { SOURCES } from "../../functions/sources";
import { SAMPLE_EVENT_TYPES, SAMPLE_UID, sampleEvent } from "../../tools/sample-events";
import {
  chargebeeAuthorization,
  lemonSqueezySignature,
  paddleSignatureHeader,
  polarWebhookHeaders,
  standardWebhookHeaders,
  stripeSignatureHeader,
  workosSignatureHeader,
} from "../../tools/sign";

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

  it("signs Lemon Squeezy payloads with the hex HMAC-SHA256 of the body, computed here as Lemon Squeezy documents it", () => {
    const payload = '{"meta":{"event_name":"order_created"}}';
    expect(lemonSqueezySignature(payload, "lemon-secret")).toBe(createHmac("sha256", "lemon-secret").update(payload).digest("hex"));
  });

  it("signs Polar payloads as Polar does for each kind of secret: the spec's key of a current whsec_ secret, the whole string of an older one", () => {
    const payload = '{"type":"customer.updated"}';
    const current = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const older = "whsec_4dNHa0bQvTq5RrDnYbI7cLw2xHsPkUo3Tjm9F1e";
    const at = new Date(NOW * 1000);
    expect(polarWebhookHeaders(payload, current, "msg_1", NOW)["webhook-signature"]).toBe(new Webhook(current).sign("msg_1", at, payload));
    expect(polarWebhookHeaders(payload, older, "msg_1", NOW)["webhook-signature"]).toBe(new Webhook(Buffer.from(older).toString("base64")).sign("msg_1", at, payload));
  });
});

/** A secret in each source's own format, and the headers the send tool signs a payload with. */
const SIGNING: Record<SourceName, { secret: string; headers: (payload: string, secret: string) => Record<string, string> }> = {
  stripe: { secret: "whsec_sample", headers: (p, k) => ({ "stripe-signature": stripeSignatureHeader(p, k, NOW) }) },
  clerk: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers: (p, k) => standardWebhookHeaders(p, k, "msg_1", NOW, "svix") },
  standard: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers: (p, k) => standardWebhookHeaders(p, k, "msg_1", NOW) },
  lemonsqueezy: { secret: "lemon-sample-secret", headers: (p, k) => ({ "x-signature": lemonSqueezySignature(p, k) }) },
  polar: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers: (p, k) => polarWebhookHeaders(p, k, "msg_1", NOW) },
  workos: { secret: "workos-sample-secret", headers: (p, k) => ({ "workos-signature": workosSignatureHeader(p, k, NOW * 1000) }) },
  paddle: { secret: "pdl_ntfset_01sample", headers: (p, k) => ({ "paddle-signature": paddleSignatureHeader(p, k, NOW) }) },
  chargebee: { secret: "bridge:sample", headers: (_p, k) => ({ authorization: chargebeeAuthorization(k) }) },
};

/** Paddle adjustments carry no custom data: their uid comes from the customer, through the identity directory. */
const NAMES_NO_UID = new Set(["paddle adjustment.created", "paddle adjustment.updated"]);

describe("send tool samples", () => {
  const cases = SOURCE_NAMES.flatMap((source) => SAMPLE_EVENT_TYPES[source].map((type) => [source, type] as const));

  it.each(cases)("builds a %s %s sample that the source verifies, parses and maps to an upsert for the given uid", (source, type) => {
    const body = sampleEvent(source, type, { uid: "user_sample", now: NOW });
    const payload = JSON.stringify(body);
    const { secret, headers: sign } = SIGNING[source];
    const headers = sign(payload, secret);
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

  it.each(SAMPLE_EVENT_TYPES.polar)("builds a Polar %s sample that Polar's own validateEvent parses", (type) => {
    const payload = JSON.stringify(sampleEvent("polar", type, { uid: SAMPLE_UID, now: Math.floor(Date.now() / 1000) }));
    const secret = "whsec_4dNHa0bQvTq5RrDnYbI7cLw2xHsPkUo3Tjm9F1e";
    const at = new Date();
    const signature = new Webhook(Buffer.from(secret).toString("base64")).sign("msg_1", at, payload);
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": signature };
    expect(validateEvent(payload, headers, secret)).toMatchObject({ type });
  });

  it("builds Lemon Squeezy and Polar samples without a uid, which only the identity directory (their customer) can resolve", () => {
    for (const [source, type] of [["lemonsqueezy", "subscription_payment_success"], ["polar", "order.paid"]] as const) {
      const body = sampleEvent(source, type, { now: NOW });
      const parsed = SOURCES[source].parse(body, { id: "msg_1", timestamp: NOW });
      const normalised = parsed.kind === "event" ? SOURCES[source].normalise(parsed.event, config) : undefined;
      expect(normalised?.kind === "mapped" && normalised.mapped.uid).toBeUndefined();
      expect(normalised).toMatchObject({ kind: "mapped", mapped: { subject: expect.any(String) } });
    }
  });

  it("has no sample for an event type the mapping does not handle", () => {
    expect(sampleEvent("stripe", "payout.paid", { now: NOW })).toBeUndefined();
  });
});
