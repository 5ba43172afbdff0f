import { createHmac, timingSafeEqual } from "node:crypto";
import { BridgeError, ErrorCode } from "../../errors";
import type { Verified, VerifyInput } from "../types";

/**
 * WorkOS signs `${t}.${rawBody}` with HMAC-SHA256 under the endpoint's webhook secret (used as the
 * key verbatim) and sends `WorkOS-Signature: t=<unix milliseconds>, v1=<hex>`.
 * https://workos.com/docs/events/data-syncing/webhooks
 */

/**
 * WorkOS's tolerance: 180 s, the default of its official SDKs (`constructEvent` in
 * @workos-inc/node, `DEFAULT_TOLERANCE` in the Ruby gem). The SDKs bound only the age; a timestamp
 * as far ahead of our clock is refused too, as for Stripe and Standard Webhooks.
 */
export const WORKOS_TOLERANCE_MS = 180_000;

const SIGNATURE_HEADER = "workos-signature";
// v1 is the lower-case hex of an HMAC-SHA256 (32 bytes), as the SDKs compute it.
const V1_SIGNATURE = /^[0-9a-f]{64}$/;
// Milliseconds since the epoch: thirteen digits today; fifteen is past the year 9999.
const TIMESTAMP_MS = /^\d{1,15}$/;

const invalid = (message: string): BridgeError => new BridgeError(ErrorCode.InvalidSignature, message);

/**
 * Step 1: `t=<ms>, v1=<hex>`, items separated by a comma and optional spaces. WorkOS sends one v1;
 * any number are read, as in Stripe's scheme, and other schemes are ignored.
 */
function parseHeader(header: string | undefined): { timestamp: number; signatures: Buffer[] } {
  if (header === undefined || header.trim() === "") {
    throw invalid("Missing WorkOS-Signature header: is the request coming from WorkOS, and does every proxy in front of the bridge forward it?");
  }
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(",")) {
    const at = item.indexOf("=");
    if (at < 0) continue;
    const key = item.slice(0, at).trim();
    const value = item.slice(at + 1).trim();
    if (key === "t" && TIMESTAMP_MS.test(value)) timestamp = Number(value);
    if (key === "v1" && V1_SIGNATURE.test(value)) signatures.push(Buffer.from(value, "hex"));
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw invalid("Unreadable WorkOS-Signature header: expected `t=<unix milliseconds>, v1=<64 hex digits>`; is the header passed through unchanged?");
  }
  return { timestamp, signatures };
}

/** Step 2: the HMAC-SHA256 of `${t}.${payload}` under one secret. */
function expectedSignature(timestamp: number, payload: string, secret: string): Buffer {
  return createHmac("sha256", secret).update(`${timestamp}.`, "utf8").update(payload, "utf8").digest();
}

/**
 * Verifies a WorkOS webhook: parse `WorkOS-Signature`, compute the HMAC over `${t}.${payload}` with
 * each configured secret (any secret and any v1 may match, so secrets can be rotated), compare in
 * constant time, then check the timestamp is within 180 s of `now` (ms), either way. Throws a
 * BridgeError `invalid_signature` whose message says what to fix; returns the signed time in seconds.
 */
export function verifyWorkosSignature({ payload, headers, secrets, now }: VerifyInput): Verified {
  const { timestamp, signatures } = parseHeader(headers[SIGNATURE_HEADER]);
  if (secrets.length === 0) {
    throw invalid("No WorkOS webhook secret is configured: set WORKOS_WEBHOOK_SECRET (or its _PARAMETER twin).");
  }
  const matched = secrets.some((secret) => {
    const expected = expectedSignature(timestamp, payload, secret);
    return signatures.some((signature) => timingSafeEqual(expected, signature));
  });
  if (!matched) {
    throw invalid(
      "No v1 signature in the WorkOS-Signature header matches the body: are you passing the raw request body, byte for byte, and the endpoint's webhook secret?",
    );
  }
  const age = now - timestamp;
  if (age > WORKOS_TOLERANCE_MS) {
    throw invalid(`WorkOS-Signature timestamp is more than ${WORKOS_TOLERANCE_MS / 1000} s old: a replayed request, or a server clock that is wrong.`);
  }
  if (-age > WORKOS_TOLERANCE_MS) {
    throw invalid(`WorkOS-Signature timestamp is more than ${WORKOS_TOLERANCE_MS / 1000} s in the future: check the server clock.`);
  }
  return { timestamp: Math.floor(timestamp / 1000) };
}
