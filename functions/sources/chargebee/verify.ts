import { createHash, timingSafeEqual } from "node:crypto";
import { BridgeError, ErrorCode } from "../../errors";
import type { Verified, VerifyInput } from "../types";

/**
 * Chargebee signs nothing: a webhook carries the HTTP Basic credentials configured on it, and that
 * is all there is to check. So the body is not covered (TLS alone protects it in transit) and there
 * is no timestamp to refuse replays by; a replayed event has its own event id, which the queue's
 * deduplication and Fullstory's Idempotency-Key make harmless.
 * https://www.chargebee.com/docs/2.0/webhook_settings.html#basic-authentication
 */

const AUTHORIZATION_HEADER = "authorization";
// RFC 7617: the scheme is case-insensitive, the credentials are base64 of `user-id ":" password`.
const BASIC = /^basic +([A-Za-z0-9+/]+={0,2})$/i;

const invalid = (message: string): BridgeError => new BridgeError(ErrorCode.InvalidSignature, message);

/**
 * A fixed-length digest of credentials: the comparison takes the same time whatever their
 * lengths, so neither the password nor its length leaks through timing.
 */
const digest = (credentials: Buffer | string): Buffer => createHash("sha256").update(credentials).digest();

/**
 * Verifies a Chargebee webhook's `Authorization: Basic …` header against each configured
 * `username:password` (a comma-separated list, so credentials can be rotated), comparing in
 * constant time. Throws a BridgeError `invalid_signature` (401) when the header is missing,
 * malformed or matches none, and `config_invalid` when a configured entry is not
 * `username:password`. The timestamp is the time of receipt: Chargebee sends none.
 */
export function verifyChargebeeAuth({ headers, secrets, now }: VerifyInput): Verified {
  if (secrets.length === 0) {
    throw invalid("No Chargebee webhook credentials are configured: set CHARGEBEE_WEBHOOK_SECRET (or its _PARAMETER twin) to username:password.");
  }
  const expected = secrets.map((secret) => {
    if (!secret.includes(":") || secret.startsWith(":")) {
      throw new BridgeError(
        ErrorCode.ConfigInvalid,
        "A CHARGEBEE_WEBHOOK_SECRET entry is not username:password: set it to the credentials configured on the Chargebee webhook.",
      );
    }
    return digest(secret);
  });
  const header = headers[AUTHORIZATION_HEADER]?.trim();
  if (header === undefined || header === "") {
    throw invalid("Missing Authorization header: turn on basic authentication for the webhook in Chargebee, with the username and password in CHARGEBEE_WEBHOOK_SECRET.");
  }
  const match = BASIC.exec(header);
  if (!match) throw invalid("Unreadable Authorization header: expected `Basic <base64 of username:password>`.");
  const candidate = digest(Buffer.from(match[1] as string, "base64"));
  // Every entry is compared, so the time taken does not say which one matched.
  const matched = expected.reduce((found, entry) => timingSafeEqual(entry, candidate) || found, false);
  if (!matched) {
    throw invalid("The Authorization header's credentials match no entry of CHARGEBEE_WEBHOOK_SECRET: are the webhook's username and password in Chargebee the same?");
  }
  return { timestamp: Math.floor(now / 1000) };
}
