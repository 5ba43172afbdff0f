import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BridgeError } from "../../functions/errors";
import { verifyLemonSqueezySignature } from "../../functions/sources/lemonsqueezy/verify";
import { lemonSqueezyEvent, lsSubscription } from "../support/lemonsqueezy-events";

/**
 * Lemon Squeezy's official library (`@lemonsqueezy/lemonsqueezy.js`) has no verifier, so every
 * signature here is the hex HMAC-SHA256 of the body computed in the test itself, as Lemon Squeezy's
 * own examples compute it: https://docs.lemonsqueezy.com/help/webhooks/signing-requests
 */
const SECRET = "lemon-signing-secret-1";
const OLD_SECRET = "lemon-signing-secret-0";
const NOW = 1_738_368_000_000; // 2025-02-01T00:00:00Z
const payload = JSON.stringify(lemonSqueezyEvent("subscription_updated", "subscription", lsSubscription()));
const hmac = (body: string | Buffer, secret: string) => createHmac("sha256", secret).update(body).digest("hex");

const verify = (headers: Record<string, string | undefined>, secrets: string[] = [SECRET], body = payload) =>
  verifyLemonSqueezySignature({ payload: body, headers, secrets, now: NOW });

function refusal(run: () => unknown): BridgeError {
  try {
    run();
  } catch (err) {
    if (err instanceof BridgeError) return err;
    throw err;
  }
  throw new Error("expected the signature to be refused");
}

describe("Lemon Squeezy signature", () => {
  it("accepts the hex HMAC-SHA256 of the raw body, and takes the body's SHA-256 as the event id", () => {
    const verified = verify({ "x-signature": hmac(payload, SECRET) });
    expect(verified).toEqual({ id: createHash("sha256").update(payload).digest("hex"), timestamp: NOW / 1000 });
  });

  it("accepts a body signed with any secret of the configured list (rotation)", () => {
    expect(verify({ "x-signature": hmac(payload, OLD_SECRET) }, [SECRET, OLD_SECRET]).id).toHaveLength(64);
    expect(verify({ "x-signature": hmac(payload, SECRET) }, [OLD_SECRET, SECRET]).id).toHaveLength(64);
  });

  it("refuses a tampered body, naming the raw body and the secret as what to check", () => {
    const tampered = payload.replace('"quantity":3', '"quantity":30');
    expect(tampered).not.toBe(payload);
    const err = refusal(() => verify({ "x-signature": hmac(payload, SECRET) }, [SECRET], tampered));
    expect(err.code).toBe("invalid_signature");
    expect(err.message).toMatch(/raw request body.*signing secret/);
  });

  it("refuses a signature made with a secret that is no longer configured", () => {
    expect(refusal(() => verify({ "x-signature": hmac(payload, OLD_SECRET) }, [SECRET])).code).toBe("invalid_signature");
  });

  it("refuses a missing, empty or malformed X-Signature header, saying what it expected", () => {
    const good = hmac(payload, SECRET);
    expect(refusal(() => verify({})).message).toMatch(/Missing X-Signature/);
    expect(refusal(() => verify({ "x-signature": "  " })).message).toMatch(/Missing X-Signature/);
    for (const bad of [good.toUpperCase(), good.slice(1), `${good}0`, `sha256=${good}`, Buffer.from(good, "hex").toString("base64")]) {
      expect(refusal(() => verify({ "x-signature": bad })).message).toMatch(/Unreadable X-Signature/);
    }
  });

  it("refuses every request when no secret is configured, naming the variable to set", () => {
    expect(refusal(() => verify({ "x-signature": hmac(payload, SECRET) }, [])).message).toMatch(/LEMONSQUEEZY_WEBHOOK_SECRET/);
  });

  it("verifies the body's UTF-8 bytes, as Lemon Squeezy signs them", () => {
    const body = JSON.stringify(lemonSqueezyEvent("subscription_updated", "subscription", lsSubscription({ user_name: "Zoë Ångström 🍋" })));
    expect(verify({ "x-signature": hmac(Buffer.from(body, "utf8"), SECRET) }, [SECRET], body).id).toHaveLength(64);
  });

  it("accepts the same body again at any later time: Lemon Squeezy signs no timestamp, so only deduplication catches a replay", () => {
    const signature = hmac(payload, SECRET);
    const first = verifyLemonSqueezySignature({ payload, headers: { "x-signature": signature }, secrets: [SECRET], now: NOW });
    const yearLater = verifyLemonSqueezySignature({ payload, headers: { "x-signature": signature }, secrets: [SECRET], now: NOW + 365 * 86_400_000 });
    expect(yearLater.id).toBe(first.id);
  });
});
