import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { BridgeError, ErrorCode } from "../../errors";
import type { Verified, VerifyInput } from "../types";

/**
 * Lemon Squeezy signs the raw body alone: `X-Signature` is the hex HMAC-SHA256 of the body under
 * the webhook's signing secret (a string the store owner chose, 6 to 40 characters, used as the
 * key verbatim). No timestamp is signed, so a captured request stays valid for ever: there is no
 * replay window to enforce, and a replay is caught only as a duplicate (the event id is a hash of
 * the body, see bodyHash). https://docs.lemonsqueezy.com/help/webhooks/signing-requests
 */

const SIGNATURE_HEADER = "x-signature";
// The lower-case hex of an HMAC-SHA256 (32 bytes), as Lemon Squeezy's examples compute it.
const HEX_SHA256 = /^[0-9a-f]{64}$/;

const invalid = (message: string): BridgeError => new BridgeError(ErrorCode.InvalidSignature, message);

/**
 * The event id of a Lemon Squeezy request: the hex SHA-256 of its raw body. Lemon Squeezy documents
 * no per-event id (`meta.webhook_id` names the webhook endpoint, not the event), and a retry sends
 * the same body, so the body itself identifies the delivery for deduplication.
 */
export function bodyHash(payload: string): string {
  return createHash("sha256").update(payload, "utf8").digest("hex");
}

/**
 * Verifies a Lemon Squeezy webhook: `X-Signature` must be the hex HMAC-SHA256 of the raw body under
 * any configured secret (so secrets can be rotated), compared in constant time. Throws a BridgeError
 * `invalid_signature` whose message says what to fix. Returns the body's hash as the event id and,
 * since nothing is signed with a time, the time of receipt (`now`, ms) in seconds.
 */
export function verifyLemonSqueezySignature({ payload, headers, secrets, now }: VerifyInput): Verified {
  const header = headers[SIGNATURE_HEADER]?.trim();
  if (header === undefined || header === "") {
    throw invalid("Missing X-Signature header: is the request coming from Lemon Squeezy, and does every proxy in front of the bridge forward it?");
  }
  if (!HEX_SHA256.test(header)) {
    throw invalid("Unreadable X-Signature header: expected the 64-digit lower-case hex HMAC-SHA256 of the body; is the header passed through unchanged?");
  }
  if (secrets.length === 0) {
    throw invalid("No Lemon Squeezy signing secret is configured: set LEMONSQUEEZY_WEBHOOK_SECRET (or its _PARAMETER twin).");
  }
  const signature = Buffer.from(header, "hex");
  const matched = secrets.some((secret) => timingSafeEqual(createHmac("sha256", secret).update(payload, "utf8").digest(), signature));
  if (!matched) {
    throw invalid(
      "X-Signature does not match the body: are you passing the raw request body, byte for byte, and the webhook's signing secret exactly as entered in Lemon Squeezy?",
    );
  }
  return { id: bodyHash(payload), timestamp: Math.floor(now / 1000) };
}
