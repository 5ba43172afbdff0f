import { createHmac } from "node:crypto";
import { decodedSecretKey } from "../functions/sources/standard-webhooks";

/**
 * Signing as the senders do it, for the send tool (the bridge only verifies). Tests check each
 * against the sender's official library (`stripe`, `standardwebhooks`, `@paddle/paddle-node-sdk`,
 * `chargebee`, `@workos-inc/node`), or, for Lemon Squeezy, whose library has no verifier, against an
 * HMAC computed in the test.
 */

/**
 * A `Stripe-Signature` header for `payload` signed at `timestamp` (seconds): `t=<t>,v1=<hex HMAC-SHA256
 * of "<t>.<payload>">` under the endpoint secret used verbatim. https://docs.stripe.com/webhooks#verify-manually
 */
export function stripeSignatureHeader(payload: string, secret: string, timestamp: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestamp}.${payload}`, "utf8").digest("hex");
  return `t=${timestamp},v1=${v1}`;
}

/**
 * Standard Webhooks headers for `payload`: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<payload>">`
 * under the base64 key after `whsec_`. Clerk's sender (Svix) uses the same scheme under `svix-*`
 * names. https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
export function standardWebhookHeaders(
  payload: string,
  secret: string,
  id: string,
  timestamp: number,
  prefix: "webhook" | "svix" = "webhook",
): Record<string, string> {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${payload}`, "utf8").digest("base64");
  return { [`${prefix}-id`]: id, [`${prefix}-timestamp`]: String(timestamp), [`${prefix}-signature`]: `v1,${signature}` };
}

/**
 * A `Paddle-Signature` header for `payload` signed at `timestamp` (seconds): `ts=<t>;h1=<hex
 * HMAC-SHA256 of "<t>:<payload>">` under the destination's secret key used verbatim.
 * https://developer.paddle.com/webhooks/about/signature-verification
 */
export function paddleSignatureHeader(payload: string, secret: string, timestamp: number): string {
  const h1 = createHmac("sha256", secret).update(`${timestamp}:${payload}`, "utf8").digest("hex");
  return `ts=${timestamp};h1=${h1}`;
}

/** The `Authorization` header Chargebee sends with a webhook's Basic credentials (`username:password`). */
export function chargebeeAuthorization(credentials: string): string {
  return `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
}

/**
 * Lemon Squeezy's `X-Signature`: the hex HMAC-SHA256 of the body under the signing secret used
 * verbatim. https://docs.lemonsqueezy.com/help/webhooks/signing-requests
 */
export function lemonSqueezySignature(payload: string, secret: string): string {
  return createHmac("sha256", secret).update(payload, "utf8").digest("hex");
}

/**
 * A `WorkOS-Signature` header for `payload` signed at `timestampMs`: `t=<ms>, v1=<hex HMAC-SHA256 of
 * "<t>.<payload>">` under the webhook secret used verbatim. https://workos.com/docs/events/data-syncing/webhooks
 */
export function workosSignatureHeader(payload: string, secret: string, timestampMs: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestampMs}.${payload}`, "utf8").digest("hex");
  return `t=${timestampMs}, v1=${v1}`;
}

/**
 * Polar's Standard Webhooks headers: signed with the spec's key for a secret Polar generated since
 * 2026-09-08 (`whsec_<base64>`), else with the UTF-8 bytes of the whole secret, as Polar signs for
 * older endpoints (functions/sources/polar/verify.ts).
 */
export function polarWebhookHeaders(payload: string, secret: string, id: string, timestamp: number): Record<string, string> {
  const standard = secret.startsWith("whsec_") && decodedSecretKey(secret) !== undefined;
  return standardWebhookHeaders(payload, standard ? secret : Buffer.from(secret, "utf8").toString("base64"), id, timestamp);
}
