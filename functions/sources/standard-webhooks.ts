import { createHmac, timingSafeEqual } from "node:crypto";
import { BridgeError, ErrorCode } from "../errors";
import type { Verified, VerifyInput } from "./types";

/**
 * Standard Webhooks signature scheme, shared by every source that speaks it (`clerk`, `standard`, `polar`).
 * Spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 * Reference implementation followed here: libraries/javascript/src/index.ts in the same repository.
 */

/** The spec's recommended tolerance, applied to old and future timestamps alike. */
export const STANDARD_WEBHOOKS_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = "whsec_";
// Canonical padded base64, as the reference library's decoder (@stablelib/base64) demands.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TIMESTAMP = /^\d{1,12}$/;

const invalid = (message: string): BridgeError => new BridgeError(ErrorCode.InvalidSignature, message);

/**
 * Svix (which sends Clerk's webhooks) predates the spec and names the same headers `svix-*`; the
 * signature scheme is identical. https://docs.svix.com/receiving/verifying-payloads/how-manual
 */
function header(headers: VerifyInput["headers"], name: "id" | "timestamp" | "signature"): string | undefined {
  const value = headers[`webhook-${name}`] ?? headers[`svix-${name}`];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * The key of a `whsec_<base64>` secret: the base64-decoded part. Like the reference library, a
 * secret without the prefix is decoded as base64 too. Undefined when that part is not base64.
 */
export function decodedSecretKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return encoded.length > 0 && BASE64.test(encoded) ? Buffer.from(encoded, "base64") : undefined;
}

/**
 * The standard key of a secret. A secret that does not decode is a configuration mistake, not a bad
 * request, so it is reported as such (ingest answers 503 and the sender retries).
 */
function standardKeys(secret: string): Buffer[] {
  const key = decodedSecretKey(secret);
  if (key === undefined) {
    throw new BridgeError(
      ErrorCode.ConfigInvalid,
      "A Standard Webhooks signing secret is not `whsec_<base64>`: copy the endpoint's signing secret exactly as the sender shows it.",
    );
  }
  return [key];
}

/** The base64 HMAC-SHA256 of `${id}.${timestamp}.${payload}` under one key. */
function sign(key: Buffer, id: string, timestamp: number, payload: string): Buffer {
  const digest = createHmac("sha256", key).update(`${id}.${timestamp}.${payload}`, "utf8").digest("base64");
  return Buffer.from(digest);
}

/**
 * Verifies a Standard Webhooks request: reads `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` (or their `svix-*` names), refuses a timestamp more than 300 s away from `now`
 * (ms) in either direction, then accepts when any `v1,<base64>` entry of the space-separated
 * signature list equals, in constant time, the HMAC-SHA256 of `${id}.${timestamp}.${payload}` under
 * any configured secret (so secrets can be rotated). Other signature versions are skipped. Throws a
 * BridgeError `invalid_signature` whose message says what to fix; returns the id and timestamp.
 * `keysOf` turns one secret into the HMAC keys it may sign with: the spec's decoded key unless a
 * sender derives its keys otherwise (Polar).
 */
export function verifyStandardWebhook({ payload, headers, secrets, now }: VerifyInput, keysOf: (secret: string) => Buffer[] = standardKeys): Verified {
  const id = header(headers, "id");
  const rawTimestamp = header(headers, "timestamp");
  const signatureList = header(headers, "signature");
  if (id === undefined || rawTimestamp === undefined || signatureList === undefined) {
    throw invalid(
      "Missing webhook-id, webhook-timestamp or webhook-signature header (or their svix-* names): does every proxy in front of the bridge forward them?",
    );
  }
  if (!TIMESTAMP.test(rawTimestamp)) {
    throw invalid("Unreadable webhook-timestamp header: expected whole seconds since the epoch.");
  }
  const timestamp = Number(rawTimestamp);
  const age = Math.floor(now / 1000) - timestamp;
  if (age > STANDARD_WEBHOOKS_TOLERANCE_SECONDS) {
    throw invalid(`webhook-timestamp is more than ${STANDARD_WEBHOOKS_TOLERANCE_SECONDS} s old: a replayed request, or a server clock that is wrong.`);
  }
  if (-age > STANDARD_WEBHOOKS_TOLERANCE_SECONDS) {
    throw invalid(`webhook-timestamp is more than ${STANDARD_WEBHOOKS_TOLERANCE_SECONDS} s in the future: check the server clock.`);
  }
  if (secrets.length === 0) {
    throw invalid("No Standard Webhooks signing secret is configured for this source.");
  }

  const keys = secrets.flatMap(keysOf);
  const candidates = signatureList
    .split(" ")
    .map((entry) => entry.split(","))
    .filter(([version, signature]) => version === "v1" && signature !== undefined)
    .map(([, signature]) => Buffer.from(signature as string));
  const matched = keys.some((key) => {
    const expected = sign(key, id, timestamp, payload);
    return candidates.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
  });
  if (!matched) {
    throw invalid(
      "No v1 entry of webhook-signature matches the body: are you passing the raw request body, byte for byte, and the endpoint's signing secret (whsec_…)?",
    );
  }
  return { id, timestamp };
}

/**
 * The event id of a request that verifyStandardWebhook accepted. The verifier always sets it (the
 * `webhook-id` header is required); `Verified.id` is optional only because Stripe's scheme has none.
 */
export function standardWebhookId(verified: Verified): string {
  if (verified.id === undefined) throw new Error("A Standard Webhooks request was parsed without a verified webhook-id.");
  return verified.id;
}
