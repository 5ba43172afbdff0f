import { createHmac, timingSafeEqual } from "node:crypto";
import { BridgeError, ErrorCode } from "../../errors";
import type { Verified, VerifyInput } from "../types";

/** Stripe's default tolerance: https://docs.stripe.com/webhooks#replay-attacks */
export const STRIPE_TOLERANCE_SECONDS = 300;

const SIGNATURE_HEADER = "stripe-signature";
// A v1 signature is the lower-case hex of an HMAC-SHA256 (32 bytes).
const V1_SIGNATURE = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

interface SignatureHeader {
  timestamp: number;
  signatures: Buffer[];
}

const invalid = (message: string): BridgeError => new BridgeError(ErrorCode.InvalidSignature, message);

/**
 * Step 1: `t=<seconds>,v1=<hex>[,v1=<hex>…]`. Stripe sends one v1 per active endpoint secret while a
 * secret is being rolled, and may add other schemes (`v0`, test-mode only) that are ignored here.
 * https://docs.stripe.com/webhooks#verify-manually
 */
function parseHeader(header: string | undefined): SignatureHeader {
  if (header === undefined || header.trim() === "") {
    throw invalid("Missing Stripe-Signature header: is the request coming from Stripe, and does every proxy in front of the bridge forward it?");
  }
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(",")) {
    const [key, value = ""] = item.trim().split("=", 2);
    if (key === "t" && TIMESTAMP.test(value)) timestamp = Number(value);
    if (key === "v1" && V1_SIGNATURE.test(value)) signatures.push(Buffer.from(value, "hex"));
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw invalid("Unreadable Stripe-Signature header: expected `t=<unix seconds>,v1=<64 hex digits>`; is the header passed through unchanged?");
  }
  return { timestamp, signatures };
}

/**
 * Step 2: the HMAC-SHA256 of `${t}.${payload}` under one secret, fed in two parts: the same bytes,
 * without first copying the whole body into one joined string.
 */
function expectedSignature(timestamp: number, payload: string, secret: string): Buffer {
  return createHmac("sha256", secret).update(`${timestamp}.`, "utf8").update(payload, "utf8").digest();
}

/**
 * Verifies a Stripe webhook: parse the `Stripe-Signature` header, compute the HMAC over
 * `${t}.${payload}` with each configured secret (any secret and any v1 may match, so secrets can be
 * rotated), compare in constant time, then check the timestamp is within 300 s of `now` (ms).
 * Throws a BridgeError `invalid_signature` whose message says what to fix; returns the signed timestamp.
 */
export function verifyStripeSignature({ payload, headers, secrets, now }: VerifyInput): Verified {
  const { timestamp, signatures } = parseHeader(headers[SIGNATURE_HEADER]);
  if (secrets.length === 0) {
    throw invalid("No Stripe webhook signing secret is configured: set STRIPE_WEBHOOK_SECRET (or its _PARAMETER twin).");
  }
  const matched = secrets.some((secret) => {
    const expected = expectedSignature(timestamp, payload, secret);
    return signatures.some((signature) => timingSafeEqual(expected, signature));
  });
  if (!matched) {
    throw invalid(
      "No v1 signature in the Stripe-Signature header matches the body: are you passing the raw request body, byte for byte, and the endpoint's signing secret (whsec_…)?",
    );
  }
  const age = Math.floor(now / 1000) - timestamp;
  if (age > STRIPE_TOLERANCE_SECONDS) {
    throw invalid(`Stripe-Signature timestamp is more than ${STRIPE_TOLERANCE_SECONDS} s old: a replayed request, or a server clock that is wrong.`);
  }
  // stripe-node bounds only the age. A timestamp far ahead of our clock is refused too, as the
  // Standard Webhooks libraries do: otherwise a request signed "in the future" would stay
  // replayable for longer than the tolerance, and a skewed clock would go unnoticed.
  // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
  if (-age > STRIPE_TOLERANCE_SECONDS) {
    throw invalid(`Stripe-Signature timestamp is more than ${STRIPE_TOLERANCE_SECONDS} s in the future: check the server clock.`);
  }
  return { timestamp };
}
