import { createHmac, timingSafeEqual } from "node:crypto";
import { BridgeError, ErrorCode } from "../../errors";
import type { Verified, VerifyInput } from "../types";

/**
 * Paddle's tolerance: its SDKs refuse a `ts` more than five seconds old, and its documentation asks
 * manual implementations to apply the same check. Its maintainers keep it at five seconds because
 * Paddle expects the answer within five seconds of sending anyway.
 * https://developer.paddle.com/webhooks/about/signature-verification
 * https://github.com/PaddleHQ/paddle-node-sdk/issues/30
 */
export const PADDLE_TOLERANCE_SECONDS = 5;

const SIGNATURE_HEADER = "paddle-signature";
// An h1 signature is the lower-case hex of an HMAC-SHA256 (32 bytes).
const H1_SIGNATURE = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

const invalid = (message: string): BridgeError => new BridgeError(ErrorCode.InvalidSignature, message);

/**
 * `ts=<unix seconds>;h1=<hex>[;h1=<hex>…]`. Paddle may send several `h1` while a destination's
 * secret is being rotated; any one may match. The official SDK keeps only the last `h1` it reads;
 * this keeps all of them. Other schemes are ignored.
 * https://developer.paddle.com/webhooks/about/signature-verification
 */
function parseHeader(header: string | undefined): { timestamp: number; signatures: Buffer[] } {
  if (header === undefined || header.trim() === "") {
    throw invalid("Missing Paddle-Signature header: is the request coming from Paddle, and does every proxy in front of the bridge forward it?");
  }
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(";")) {
    const [key, value = ""] = item.trim().split("=", 2);
    if (key === "ts" && TIMESTAMP.test(value)) timestamp = Number(value);
    if (key === "h1" && H1_SIGNATURE.test(value)) signatures.push(Buffer.from(value, "hex"));
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw invalid("Unreadable Paddle-Signature header: expected `ts=<unix seconds>;h1=<64 hex digits>`; is the header passed through unchanged?");
  }
  return { timestamp, signatures };
}

/** The HMAC-SHA256 of `${ts}:${payload}` under one secret (the destination's secret key, used verbatim). */
function expectedSignature(timestamp: number, payload: string, secret: string): Buffer {
  return createHmac("sha256", secret).update(`${timestamp}:`, "utf8").update(payload, "utf8").digest();
}

/**
 * Verifies a Paddle Billing notification: parses `Paddle-Signature`, computes the HMAC over
 * `${ts}:${payload}` with each configured secret (any secret and any `h1` may match, so secrets can
 * be rotated), compares in constant time (the official SDK compares hex strings with `===`), then
 * checks that `ts` is within 5 s of `now` (ms), in either direction. Throws a BridgeError
 * `invalid_signature` whose message says what to fix; returns the signed timestamp.
 */
export function verifyPaddleSignature({ payload, headers, secrets, now }: VerifyInput): Verified {
  const { timestamp, signatures } = parseHeader(headers[SIGNATURE_HEADER]);
  if (secrets.length === 0) {
    throw invalid("No Paddle secret key is configured: set PADDLE_WEBHOOK_SECRET (or its _PARAMETER twin).");
  }
  const matched = secrets.some((secret) => {
    const expected = expectedSignature(timestamp, payload, secret);
    return signatures.some((signature) => timingSafeEqual(expected, signature));
  });
  if (!matched) {
    throw invalid(
      "No h1 signature in the Paddle-Signature header matches the body: are you passing the raw request body, byte for byte, and the notification destination's secret key (pdl_ntfset_…)?",
    );
  }
  // The SDK bounds only the age. A timestamp ahead of our clock is refused too, as for Stripe: a
  // request signed "in the future" would otherwise stay replayable for longer than the tolerance.
  const ageMs = now - timestamp * 1000;
  if (ageMs > PADDLE_TOLERANCE_SECONDS * 1000) {
    throw invalid(`Paddle-Signature ts is more than ${PADDLE_TOLERANCE_SECONDS} s old: a replayed request, or a server clock that is wrong (keep it synchronised with NTP).`);
  }
  if (-ageMs > PADDLE_TOLERANCE_SECONDS * 1000) {
    throw invalid(`Paddle-Signature ts is more than ${PADDLE_TOLERANCE_SECONDS} s in the future: check the server clock.`);
  }
  return { timestamp };
}
