import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { ErrorCode, isBridgeError } from "../../functions/errors";
import { verifyStripeSignature } from "../../functions/sources/stripe/verify";
import { customerObject, stripeEvent } from "../support/stripe-events";

// The official library signs every payload here, so the verifier is checked against the real scheme.
const stripe = new Stripe("sk_test_x");
const SECRET = "whsec_test_primary";
const OTHER_SECRET = "whsec_test_rotated";
const T = 1_706_745_600;
const NOW_MS = T * 1000;
const payload = JSON.stringify(stripeEvent("customer.created", customerObject()), null, 2);

const sign = (body: string, secret: string, timestamp = T): string =>
  stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });

const verify = (header: string | undefined, opts: { body?: string; secrets?: string[]; now?: number } = {}) =>
  verifyStripeSignature({
    payload: opts.body ?? payload,
    headers: { "stripe-signature": header },
    secrets: opts.secrets ?? [SECRET],
    now: opts.now ?? NOW_MS,
  });

/** The BridgeError `verify` throws, so a test can look at its code and message. */
function rejection(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isBridgeError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected the signature to be rejected");
}

/** What stripe-node decides on the same inputs (its tolerance is 300 s too). */
function stripeAccepts(body: string, header: string, secret: string, nowMs: number): boolean {
  try {
    stripe.webhooks.constructEvent(body, header, secret, 300, undefined, nowMs);
    return true;
  } catch {
    return false;
  }
}

describe("Stripe signature verification", () => {
  it("accepts a payload signed by the official library and returns its timestamp", () => {
    expect(verify(sign(payload, SECRET))).toEqual({ timestamp: T });
  });

  it("rejects a body changed after signing, and says to pass the raw body", () => {
    const header = sign(payload, SECRET);
    const tampered = payload.replace("Ada Lovelace", "Eve");
    const err = rejection(() => verify(header, { body: tampered }));
    expect(err.code).toBe(ErrorCode.InvalidSignature);
    expect(err.message).toMatch(/raw request body/);
  });

  it("rejects a body re-serialised without its original whitespace", () => {
    const header = sign(payload, SECRET);
    const reserialised = JSON.stringify(JSON.parse(payload));
    expect(rejection(() => verify(header, { body: reserialised })).code).toBe(ErrorCode.InvalidSignature);
  });

  it("rejects a payload signed with another secret", () => {
    expect(rejection(() => verify(sign(payload, "whsec_someone_else"))).code).toBe(ErrorCode.InvalidSignature);
  });

  it("rejects a Stripe signature older than the 300 s tolerance", () => {
    const header = sign(payload, SECRET, T - 301);
    const err = rejection(() => verify(header));
    expect(err.code).toBe(ErrorCode.InvalidSignature);
    expect(err.message).toMatch(/old/);
  });

  it("accepts a signature exactly 300 s old", () => {
    expect(verify(sign(payload, SECRET, T - 300))).toEqual({ timestamp: T - 300 });
  });

  it("rejects a timestamp more than 300 s in the future", () => {
    const err = rejection(() => verify(sign(payload, SECRET, T + 301)));
    expect(err.code).toBe(ErrorCode.InvalidSignature);
    expect(err.message).toMatch(/future/);
  });

  it("accepts a timestamp up to 300 s ahead of the clock (small clock skew)", () => {
    expect(verify(sign(payload, SECRET, T + 300))).toEqual({ timestamp: T + 300 });
  });

  it("rejects a request without a Stripe-Signature header", () => {
    const err = rejection(() => verify(undefined));
    expect(err.code).toBe(ErrorCode.InvalidSignature);
    expect(err.message).toMatch(/Missing Stripe-Signature/);
  });

  it.each([
    ["no timestamp", () => sign(payload, SECRET).replace(/^t=\d+,/, "")],
    ["no v1 signature", () => `t=${T}`],
    ["a non-numeric timestamp", () => sign(payload, SECRET).replace(/^t=\d+/, "t=soon")],
    ["a v1 that is not hex", () => `t=${T},v1=${"z".repeat(64)}`],
    ["a truncated v1", () => sign(payload, SECRET).slice(0, -2)],
    ["only an unknown scheme", () => sign(payload, SECRET).replace("v1=", "v0=")],
    ["random text", () => "garbage"],
  ])("rejects a garbled header: %s", (_name, header) => {
    expect(rejection(() => verify(header())).code).toBe(ErrorCode.InvalidSignature);
  });

  it("accepts a header with several v1 values when any one matches", () => {
    const good = sign(payload, SECRET).split("v1=")[1];
    const wrong = sign(payload, "whsec_old").split("v1=")[1];
    expect(verify(`t=${T},v1=${wrong},v1=${good}`)).toEqual({ timestamp: T });
    expect(verify(`t=${T},v1=${good},v1=${wrong}`)).toEqual({ timestamp: T });
  });

  it("rejects a header whose several v1 values all fail", () => {
    const a = sign(payload, "whsec_a").split("v1=")[1];
    const b = sign(payload, "whsec_b").split("v1=")[1];
    expect(rejection(() => verify(`t=${T},v1=${a},v1=${b}`)).code).toBe(ErrorCode.InvalidSignature);
  });

  it("accepts a payload signed with the second secret of the list (rotation)", () => {
    expect(verify(sign(payload, OTHER_SECRET), { secrets: [SECRET, OTHER_SECRET] })).toEqual({ timestamp: T });
  });

  it("rejects everything when no secret is configured", () => {
    expect(rejection(() => verify(sign(payload, SECRET), { secrets: [] })).code).toBe(ErrorCode.InvalidSignature);
  });

  it("agrees with stripe.webhooks.constructEvent wherever stripe-node checks the same thing", () => {
    const cases: { body: string; header: string; now: number }[] = [
      { body: payload, header: sign(payload, SECRET), now: NOW_MS },
      { body: `${payload} `, header: sign(payload, SECRET), now: NOW_MS },
      { body: payload, header: sign(payload, "whsec_wrong"), now: NOW_MS },
      { body: payload, header: sign(payload, SECRET, T - 300), now: NOW_MS },
      { body: payload, header: sign(payload, SECRET, T - 301), now: NOW_MS },
      { body: payload, header: `t=${T}`, now: NOW_MS },
      { body: payload, header: "", now: NOW_MS },
    ];
    for (const { body, header, now } of cases) {
      let ours: boolean;
      try {
        verify(header, { body, now });
        ours = true;
      } catch {
        ours = false;
      }
      expect({ header, ours }).toEqual({ header, ours: stripeAccepts(body, header, SECRET, now) });
    }
  });

  it("differs from stripe-node only on far-future timestamps, which stripe-node accepts", () => {
    const header = sign(payload, SECRET, T + 3600);
    expect(stripeAccepts(payload, header, SECRET, NOW_MS)).toBe(true);
    expect(rejection(() => verify(header)).code).toBe(ErrorCode.InvalidSignature);
  });
});
