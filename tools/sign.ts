import { createHmac } from "node:crypto";

/**
 * Signing as the senders do it, for the send tool (the bridge only verifies). Tests check each
 * against the official library (`stripe`, `standardwebhooks`, `@paddle/paddle-node-sdk`, `chargebee`).
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
