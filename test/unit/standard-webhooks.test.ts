import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { ErrorCode, isBridgeError } from "../../functions/errors";
import { STANDARD_WEBHOOKS_TOLERANCE_SECONDS, verifyStandardWebhook } from "../../functions/sources/standard-webhooks";
import type { VerifyInput } from "../../functions/sources/types";

const NOW_MS = 1_718_000_000_000;
const NOW_S = NOW_MS / 1000;
const PAYLOAD = JSON.stringify({ uid: "user_1", properties: { plan: "pro" } });
const MSG_ID = "msg_2testMessageId";

const newSecret = (): string => `whsec_${randomBytes(24).toString("base64")}`;

/** The headers the official library's signature makes, for `payload` sent at `seconds`. */
function signed(secret: string, payload: string, seconds = NOW_S, id = MSG_ID) {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(seconds),
    "webhook-signature": new Webhook(secret).sign(id, new Date(seconds * 1000), payload),
  };
}

function verify(input: Partial<VerifyInput> & Pick<VerifyInput, "headers" | "secrets">) {
  return verifyStandardWebhook({ payload: PAYLOAD, now: NOW_MS, ...input });
}

function errorCodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isBridgeError(err) ? err.code : `not a BridgeError: ${String(err)}`;
  }
  return undefined;
}

describe("verifyStandardWebhook", () => {
  it("accepts the official Standard Webhooks test vector", () => {
    const verified = verifyStandardWebhook({
      payload: '{"test": 2432232314}',
      headers: {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
      },
      secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
      now: 1614265330 * 1000,
    });
    expect(verified).toEqual({ id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330 });
  });

  it("accepts a payload signed by the official standardwebhooks library and returns its id and timestamp", () => {
    const secret = newSecret();
    expect(verify({ headers: signed(secret, PAYLOAD), secrets: [secret] })).toEqual({ id: MSG_ID, timestamp: NOW_S });
  });

  it("accepts whatever id and body the official library signs, and refuses any change to the body", () => {
    const secret = newSecret();
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => !/\s/.test(s)), fc.string({ unit: "grapheme" }), fc.string({ minLength: 1 }), (id, payload, extra) => {
        const headers = signed(secret, payload, NOW_S, id);
        expect(verifyStandardWebhook({ payload, headers, secrets: [secret], now: NOW_MS })).toEqual({ id, timestamp: NOW_S });
        expect(errorCodeOf(() => verifyStandardWebhook({ payload: payload + extra, headers, secrets: [secret], now: NOW_MS }))).toBe(
          ErrorCode.InvalidSignature,
        );
      }),
      { numRuns: 200 },
    );
  });

  it("takes a secret without the whsec_ prefix as base64, like the official library", () => {
    const secret = newSecret();
    const bare = secret.slice("whsec_".length);
    expect(verify({ headers: signed(bare, PAYLOAD), secrets: [bare] }).id).toBe(MSG_ID);
    expect(verify({ headers: signed(secret, PAYLOAD), secrets: [bare] }).id).toBe(MSG_ID);
  });

  it("accepts the svix-* header names Clerk sends", () => {
    const secret = newSecret();
    const headers = signed(secret, PAYLOAD);
    const svix = {
      "svix-id": headers["webhook-id"],
      "svix-timestamp": headers["webhook-timestamp"],
      "svix-signature": headers["webhook-signature"],
    };
    expect(verify({ headers: svix, secrets: [secret] })).toEqual({ id: MSG_ID, timestamp: NOW_S });
  });

  it("accepts a signature list when any one v1 entry matches, skipping other versions", () => {
    const secret = newSecret();
    const good = signed(secret, PAYLOAD)["webhook-signature"];
    const wrong = signed(newSecret(), PAYLOAD)["webhook-signature"];
    const goodValue = good.slice("v1,".length);
    const headers = { ...signed(secret, PAYLOAD), "webhook-signature": `v1a,${goodValue} ${wrong} ${good} v2,abc` };
    expect(verify({ headers, secrets: [secret] }).id).toBe(MSG_ID);
  });

  it("accepts a request signed with the second secret of the list (rotation)", () => {
    const [oldSecret, newOne] = [newSecret(), newSecret()];
    expect(verify({ headers: signed(newOne, PAYLOAD), secrets: [oldSecret, newOne] }).id).toBe(MSG_ID);
    expect(verify({ headers: signed(oldSecret, PAYLOAD), secrets: [oldSecret, newOne] }).id).toBe(MSG_ID);
  });

  it("rejects a body changed after signing", () => {
    const secret = newSecret();
    const headers = signed(secret, PAYLOAD);
    expect(errorCodeOf(() => verify({ payload: PAYLOAD.replace("pro", "free"), headers, secrets: [secret] }))).toBe(ErrorCode.InvalidSignature);
  });

  it("rejects a signature made with another secret", () => {
    expect(errorCodeOf(() => verify({ headers: signed(newSecret(), PAYLOAD), secrets: [newSecret(), newSecret()] }))).toBe(
      ErrorCode.InvalidSignature,
    );
  });

  it("rejects a signature whose id or timestamp was swapped for another", () => {
    const secret = newSecret();
    const headers = signed(secret, PAYLOAD);
    expect(errorCodeOf(() => verify({ headers: { ...headers, "webhook-id": "msg_other" }, secrets: [secret] }))).toBe(ErrorCode.InvalidSignature);
    expect(errorCodeOf(() => verify({ headers: { ...headers, "webhook-timestamp": String(NOW_S - 1) }, secrets: [secret] }))).toBe(
      ErrorCode.InvalidSignature,
    );
  });

  it(`rejects a timestamp more than ${STANDARD_WEBHOOKS_TOLERANCE_SECONDS} s old and accepts one exactly that old`, () => {
    const secret = newSecret();
    const edge = NOW_S - STANDARD_WEBHOOKS_TOLERANCE_SECONDS;
    expect(verify({ headers: signed(secret, PAYLOAD, edge), secrets: [secret] }).timestamp).toBe(edge);
    expect(errorCodeOf(() => verify({ headers: signed(secret, PAYLOAD, edge - 1), secrets: [secret] }))).toBe(ErrorCode.InvalidSignature);
  });

  it(`rejects a timestamp more than ${STANDARD_WEBHOOKS_TOLERANCE_SECONDS} s in the future and accepts one exactly that far ahead`, () => {
    const secret = newSecret();
    const edge = NOW_S + STANDARD_WEBHOOKS_TOLERANCE_SECONDS;
    expect(verify({ headers: signed(secret, PAYLOAD, edge), secrets: [secret] }).timestamp).toBe(edge);
    expect(errorCodeOf(() => verify({ headers: signed(secret, PAYLOAD, edge + 1), secrets: [secret] }))).toBe(ErrorCode.InvalidSignature);
  });

  it.each(["webhook-id", "webhook-timestamp", "webhook-signature"])("rejects a request without the %s header", (name) => {
    const secret = newSecret();
    const headers: Record<string, string | undefined> = { ...signed(secret, PAYLOAD), [name]: undefined };
    expect(errorCodeOf(() => verify({ headers, secrets: [secret] }))).toBe(ErrorCode.InvalidSignature);
    expect(errorCodeOf(() => verify({ headers: { ...headers, [name]: "  " }, secrets: [secret] }))).toBe(ErrorCode.InvalidSignature);
  });

  it.each([
    ["a timestamp that is not whole seconds", { "webhook-timestamp": `${NOW_S}.5` }],
    ["a timestamp in milliseconds", { "webhook-timestamp": String(NOW_MS) }],
    ["a signature without a version", { "webhook-signature": "not-a-signature" }],
    ["an empty v1 entry", { "webhook-signature": "v1," }],
    ["a v1 entry of the wrong length", { "webhook-signature": "v1,AAAA" }],
  ])("rejects %s", (_label, garbled) => {
    const secret = newSecret();
    expect(errorCodeOf(() => verify({ headers: { ...signed(secret, PAYLOAD), ...garbled }, secrets: [secret] }))).toBe(ErrorCode.InvalidSignature);
  });

  it("refuses a correct signature labelled with a version other than v1", () => {
    const secret = newSecret();
    const headers = signed(secret, PAYLOAD);
    const relabelled = headers["webhook-signature"].replace(/^v1,/, "v2,");
    expect(errorCodeOf(() => verify({ headers: { ...headers, "webhook-signature": relabelled }, secrets: [secret] }))).toBe(ErrorCode.InvalidSignature);
  });

  it("rejects every request when no secret is configured", () => {
    expect(errorCodeOf(() => verify({ headers: signed(newSecret(), PAYLOAD), secrets: [] }))).toBe(ErrorCode.InvalidSignature);
  });

  it("reports a secret that is not base64 as a configuration error, not as a bad request", () => {
    const secret = newSecret();
    expect(errorCodeOf(() => verify({ headers: signed(secret, PAYLOAD), secrets: [secret, "whsec_not base64!"] }))).toBe(ErrorCode.ConfigInvalid);
    expect(errorCodeOf(() => verify({ headers: signed(secret, PAYLOAD), secrets: ["whsec_"] }))).toBe(ErrorCode.ConfigInvalid);
  });
});
