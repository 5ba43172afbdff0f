import { decodedSecretKey, verifyStandardWebhook } from "../standard-webhooks";
import type { Verified, VerifyInput } from "../types";

/**
 * Polar sends Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), but has
 * signed with two keys over time, and a secret does not say which:
 * - The UTF-8 bytes of the whole secret string, `whsec_` included: every endpoint whose secret was
 *   generated before 2026-09-08 (and any secret typed in by hand). This is the only key the
 *   official `validateEvent` of `@polar-sh/sdk` (0.49.0 here) tries: it base64-encodes the secret
 *   before handing it to the standardwebhooks library, which decodes it back to those bytes.
 *   https://github.com/polarsource/polar-js/blob/main/src/webhooks.ts
 * - The spec's key, the base64 after `whsec_`: endpoints whose secret was generated since then
 *   (`uses_standard_webhook_signature: true` on the endpoint), which validateEvent 0.49.0 refuses.
 *   https://github.com/polarsource/polar/blob/main/server/polar/webhook/constants.py
 * Both keys come from the secret itself, so accepting either adds nothing an attacker could use.
 */
export function polarKeys(secret: string): Buffer[] {
  const whole = Buffer.from(secret, "utf8");
  const standard = secret.startsWith("whsec_") ? decodedSecretKey(secret) : undefined;
  return standard === undefined ? [whole] : [whole, standard];
}

/**
 * Verifies a Polar webhook as Standard Webhooks (300 s either way, any `v1` of any configured
 * secret, constant-time compare) with both of Polar's keys for each secret (see polarKeys).
 */
export function verifyPolarSignature(input: VerifyInput): Verified {
  return verifyStandardWebhook(input, polarKeys);
}
