import { WorkOS } from "@workos-inc/node";
import { describe, expect, it } from "vitest";
import { BridgeError } from "../../functions/errors";
import { WORKOS_TOLERANCE_MS, verifyWorkosSignature } from "../../functions/sources/workos/verify";
import { workosSignatureHeader } from "../../tools/sign";
import { workosEvent, workosUser } from "../support/workos-events";

/**
 * WorkOS signatures made and checked by the official `@workos-inc/node` (8.13.0):
 * `webhooks.computeSignature` signs, `webhooks.constructEvent` is the reference verifier. Both
 * serialise the event object with JSON.stringify, so the raw body here is exactly that string.
 */
const webhooks = new WorkOS("sk_test_unused").webhooks;
const SECRET = "workos-webhook-secret-1";
const OLD_SECRET = "workos-webhook-secret-0";
const event = workosEvent("user.updated", workosUser());
const payload = JSON.stringify(event);

/** The header WorkOS sends, `t=<ms>, v1=<hex>`, with the SDK's signature. */
async function officialHeader(at: number, secret = SECRET, body: Record<string, unknown> = event): Promise<string> {
  return `t=${at}, v1=${await webhooks.computeSignature(at, body, secret)}`;
}

/** Whether the SDK's constructEvent accepts the request (it reads the real clock). */
async function official(sigHeader: string, secret = SECRET, body: Record<string, unknown> = event): Promise<boolean> {
  try {
    await webhooks.constructEvent({ payload: body, sigHeader, secret });
    return true;
  } catch {
    return false;
  }
}

const ours = (header: string | undefined, now: number, secrets = [SECRET], body = payload) =>
  verifyWorkosSignature({ payload: body, headers: { "workos-signature": header }, secrets, now });

function refusal(run: () => unknown): BridgeError {
  try {
    run();
  } catch (err) {
    if (err instanceof BridgeError) return err;
    throw err;
  }
  throw new Error("expected the signature to be refused");
}

describe("WorkOS signature", () => {
  it("accepts a request signed by the official SDK, as its constructEvent does, and returns the signed time in seconds", async () => {
    const now = Date.now();
    const header = await officialHeader(now);
    expect(await official(header)).toBe(true);
    expect(ours(header, now)).toEqual({ timestamp: Math.floor(now / 1000) });
  });

  it("signs in the send tool exactly as the official SDK does", async () => {
    const at = 1_738_368_000_123;
    expect(workosSignatureHeader(payload, SECRET, at)).toBe(await officialHeader(at));
  });

  it("reads the header with or without spaces after the comma", async () => {
    const now = Date.now();
    const header = await officialHeader(now);
    expect(ours(header.replace(", ", ","), now).timestamp).toBe(Math.floor(now / 1000));
    expect(ours(` ${header.replace(", ", " ,  ")} `, now).timestamp).toBe(Math.floor(now / 1000));
  });

  it("accepts a request signed with any secret of the configured list (rotation)", async () => {
    const now = Date.now();
    expect(ours(await officialHeader(now, OLD_SECRET), now, [SECRET, OLD_SECRET]).timestamp).toBe(Math.floor(now / 1000));
    expect(ours(await officialHeader(now, SECRET), now, [OLD_SECRET, SECRET]).timestamp).toBe(Math.floor(now / 1000));
  });

  it("refuses a tampered body, as constructEvent does", async () => {
    const now = Date.now();
    const header = await officialHeader(now);
    const tampered = workosEvent("user.updated", workosUser({ email: "mallory@example.com" }));
    expect(await official(header, SECRET, tampered)).toBe(false);
    const err = refusal(() => ours(header, now, [SECRET], JSON.stringify(tampered)));
    expect(err.code).toBe("invalid_signature");
    expect(err.message).toMatch(/raw request body/);
  });

  it("refuses a signature made with a secret that is not configured", async () => {
    const now = Date.now();
    const header = await officialHeader(now, OLD_SECRET);
    expect(refusal(() => ours(header, now)).code).toBe("invalid_signature");
  });

  it("refuses a request signed more than 180 s ago, as constructEvent does, and accepts one exactly 180 s old", async () => {
    const now = Date.now();
    const stale = await officialHeader(now - WORKOS_TOLERANCE_MS - 1_000);
    expect(await official(stale)).toBe(false);
    expect(refusal(() => ours(stale, now)).message).toMatch(/more than 180 s old/);
    expect(ours(await officialHeader(now - WORKOS_TOLERANCE_MS), now).timestamp).toBe(Math.floor((now - WORKOS_TOLERANCE_MS) / 1000));
  });

  it("refuses a request signed more than 180 s in the future, which the SDK would accept, and accepts one exactly 180 s ahead", async () => {
    const now = Date.now();
    const ahead = await officialHeader(now + WORKOS_TOLERANCE_MS + 1_000);
    expect(await official(ahead)).toBe(true);
    expect(refusal(() => ours(ahead, now)).message).toMatch(/in the future/);
    expect(ours(await officialHeader(now + WORKOS_TOLERANCE_MS), now).timestamp).toBe(Math.floor((now + WORKOS_TOLERANCE_MS) / 1000));
  });

  it("refuses a timestamp in seconds, which reads as a request from 1970", async () => {
    const now = Date.now();
    const header = await officialHeader(Math.floor(now / 1000));
    expect(refusal(() => ours(header, now)).message).toMatch(/old/);
  });

  it("refuses a missing or malformed header, saying what it expected", async () => {
    const now = Date.now();
    const header = await officialHeader(now);
    const hex = header.slice(header.indexOf("v1=") + 3);
    expect(refusal(() => ours(undefined, now)).message).toMatch(/Missing WorkOS-Signature/);
    for (const bad of [`v1=${hex}`, `t=${now}`, `t=${now}, v1=${hex.toUpperCase()}`, `t=${now}, v1=${hex}00`, `t=${now}.5, v1=${hex}`, `t=${now}, v2=${hex}`, `t=${now} v1=${hex}`]) {
      expect(refusal(() => ours(bad, now)).message, bad).toMatch(/Unreadable WorkOS-Signature/);
    }
  });

  it("refuses every request when no secret is configured, naming the variable to set", async () => {
    const now = Date.now();
    const header = await officialHeader(now);
    expect(refusal(() => ours(header, now, [])).message).toMatch(/WORKOS_WEBHOOK_SECRET/);
  });
});
