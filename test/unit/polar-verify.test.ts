import { randomBytes } from "node:crypto";
import { validateEvent } from "@polar-sh/sdk/webhooks";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { BridgeError } from "../../functions/errors";
import { polarSource } from "../../functions/sources/polar";
import { polarEvent, polarSubscription } from "../support/polar-events";

/**
 * Polar's signatures, made as Polar's server makes them and cross-checked against Polar's official
 * `validateEvent` (@polar-sh/sdk 0.49.0). Polar signs with one of two keys derived from the secret
 * (functions/sources/polar/verify.ts): the UTF-8 bytes of the whole string (what validateEvent
 * accepts: it hands the standardwebhooks library the base64 of the string), or, for secrets
 * generated since 2026-09-08, the spec's decoded `whsec_` key. Both are signed here with the
 * official `standardwebhooks` library, as Polar's server does.
 */
const payload = JSON.stringify(polarEvent("subscription.updated", polarSubscription()));
const ID = "8f7e6d5c-4b3a-4291-8a7b-6c5d4e3f2a1b";
const SENT = new Date("2025-02-01T00:00:00Z");

/** A secret of Polar's older format: `whsec_` and 43 letters or digits (not base64). */
const legacySecret = () => `whsec_${randomBytes(48).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 43)}`;
/** A secret of Polar's current format: `whsec_` and the base64 of 32 random bytes. */
const standardSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

/** Headers as Polar sends them, signed with the whole secret's bytes (the older scheme) or the spec's key. */
function signed(secret: string, scheme: "whole" | "standard", body = payload, at = SENT): Record<string, string> {
  const key = scheme === "whole" ? Buffer.from(secret, "utf8").toString("base64") : secret;
  return { "webhook-id": ID, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": new Webhook(key).sign(ID, at, body) };
}

const ours = (headers: Record<string, string>, secrets: string[], body = payload, now = SENT.getTime()) =>
  polarSource.verify({ payload: body, headers, secrets, now });

/** Whether Polar's own validateEvent accepts the request (its clock is the real one: `at` must be now). */
function official(headers: Record<string, string>, secret: string, body = payload): boolean {
  try {
    validateEvent(body, headers, secret);
    return true;
  } catch (err) {
    if (err instanceof Error && err.constructor.name === "WebhookVerificationError") return false;
    throw err;
  }
}

const refused = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    if (err instanceof BridgeError) return err.code;
    throw err;
  }
  return "accepted";
};

describe("Polar signature", () => {
  it("accepts what Polar's validateEvent accepts: a request signed with the whole secret string's bytes", () => {
    const secret = legacySecret();
    const now = new Date();
    const headers = signed(secret, "whole", payload, now);
    expect(official(headers, secret)).toBe(true);
    expect(ours(headers, [secret], payload, now.getTime())).toEqual({ id: ID, timestamp: Math.floor(now.getTime() / 1000) });
  });

  it("accepts a request signed with the spec's decoded key of a current whsec_ secret, which validateEvent 0.49.0 refuses", () => {
    const secret = standardSecret();
    const now = new Date();
    const headers = signed(secret, "standard", payload, now);
    expect(official(headers, secret)).toBe(false);
    expect(ours(headers, [secret], payload, now.getTime()).id).toBe(ID);
  });

  it("agrees with validateEvent on requests signed with the whole string of any secret, whatever its format", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1, maxLength: 60 }), fc.constantFrom(legacySecret(), standardSecret(), "my own polar secret")), (secret) => {
        const now = new Date();
        const headers = signed(secret, "whole", payload, now);
        expect(official(headers, secret)).toBe(true);
        expect(ours(headers, [secret], payload, now.getTime()).id).toBe(ID);
      }),
      { numRuns: 100 },
    );
  });

  it("accepts a request signed with any secret of the configured list, in either scheme (rotation)", () => {
    const [oldSecret, newSecret] = [legacySecret(), standardSecret()];
    expect(ours(signed(oldSecret, "whole"), [newSecret, oldSecret]).id).toBe(ID);
    expect(ours(signed(newSecret, "standard"), [oldSecret, newSecret]).id).toBe(ID);
    expect(ours(signed(newSecret, "whole"), [oldSecret, newSecret]).id).toBe(ID);
  });

  it("refuses a tampered body in either scheme, as validateEvent does", () => {
    const secret = standardSecret();
    const now = new Date();
    const tampered = payload.replace('"seats":3', '"seats":30');
    expect(tampered).not.toBe(payload);
    for (const scheme of ["whole", "standard"] as const) {
      const headers = signed(secret, scheme, payload, now);
      expect(official(headers, secret, tampered)).toBe(false);
      expect(refused(() => ours(headers, [secret], tampered, now.getTime()))).toBe("invalid_signature");
    }
  });

  it("refuses a signature made with a secret that is not configured, in either scheme", () => {
    expect(refused(() => ours(signed(legacySecret(), "whole"), [legacySecret()]))).toBe("invalid_signature");
    expect(refused(() => ours(signed(standardSecret(), "standard"), [standardSecret()]))).toBe("invalid_signature");
  });

  it("refuses a request signed more than 300 s before or after the clock, and accepts one exactly 300 s away", () => {
    const secret = legacySecret();
    const headers = signed(secret, "whole");
    expect(ours(headers, [secret], payload, SENT.getTime() + 300_000).id).toBe(ID);
    expect(ours(headers, [secret], payload, SENT.getTime() - 300_000).id).toBe(ID);
    expect(refused(() => ours(headers, [secret], payload, SENT.getTime() + 301_000))).toBe("invalid_signature");
    expect(refused(() => ours(headers, [secret], payload, SENT.getTime() - 301_000))).toBe("invalid_signature");
  });

  it("does not mistake a secret that is not base64 for a configuration error: it signs with its bytes", () => {
    const secret = "whsec_not*base64!";
    expect(ours(signed(secret, "whole"), [secret]).id).toBe(ID);
  });
});
