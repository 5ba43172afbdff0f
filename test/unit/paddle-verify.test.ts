import { createHmac } from "node:crypto";
import { Environment, Paddle } from "@paddle/paddle-node-sdk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isBridgeError } from "../../functions/errors";
import { PADDLE_TOLERANCE_SECONDS, verifyPaddleSignature } from "../../functions/sources/paddle/verify";
import { paddleSignatureHeader } from "../../tools/sign";
import { paddleCustomer, paddleEvent } from "../support/paddle-events";

/**
 * Paddle-Signature verification, cross-checked against the official @paddle/paddle-node-sdk
 * (`webhooks.unmarshal` and `webhooks.isSignatureValid`), which reads the real clock: the requests
 * it checks are signed at the current time.
 */

const paddle = new Paddle("pdl_sdbx_apikey_01test", { environment: Environment.sandbox });
const SECRET = "pdl_ntfset_01hv8x2af5bqx6r8s8qmt0zm8f_a7e4a56cf7c1cd80cb1c735c72bab2aa";
const OLD_SECRET = "pdl_ntfset_01hv8x2af5bqx6r8s8qmt0zm8f_0ld5ecretkeyfromlastmonth0000";
const payload = JSON.stringify(paddleEvent("customer.updated", paddleCustomer()));
const nowSeconds = () => Math.floor(Date.now() / 1000);

const h1 = (secret: string, ts: number, body = payload) => createHmac("sha256", secret).update(`${ts}:${body}`).digest("hex");

/** What our verifier says of a request: "valid", or the reason it refused it. */
function ours(header: string | undefined, secrets: string[] = [SECRET], now = Date.now(), body = payload): string {
  try {
    verifyPaddleSignature({ payload: body, headers: { "paddle-signature": header }, secrets, now });
    return "valid";
  } catch (err) {
    if (isBridgeError(err)) return err.code;
    throw err;
  }
}

afterEach(() => vi.useRealTimers());

describe("Paddle-Signature verification", () => {
  it("accepts what the official SDK accepts: a notification signed by the send tool unmarshals in the SDK and verifies here", async () => {
    const ts = nowSeconds();
    const header = paddleSignatureHeader(payload, SECRET, ts);
    const event = await paddle.webhooks.unmarshal(payload, SECRET, header);
    expect(event.eventType).toBe("customer.updated");
    expect(ours(header)).toBe("valid");
    expect(verifyPaddleSignature({ payload, headers: { "paddle-signature": header }, secrets: [SECRET], now: Date.now() })).toEqual({ timestamp: ts });
  });

  it("refuses a tampered body, a wrong secret and a stale ts, as the SDK does", async () => {
    const ts = nowSeconds();
    const header = paddleSignatureHeader(payload, SECRET, ts);
    const tampered = payload.replace("Ada Lovelace", "Eve Lovelace");
    expect(await paddle.webhooks.isSignatureValid(tampered, SECRET, header)).toBe(false);
    expect(ours(header, [SECRET], Date.now(), tampered)).toBe("invalid_signature");
    expect(await paddle.webhooks.isSignatureValid(payload, OLD_SECRET, header)).toBe(false);
    expect(ours(header, [OLD_SECRET])).toBe("invalid_signature");
    const stale = paddleSignatureHeader(payload, SECRET, ts - 60);
    expect(await paddle.webhooks.isSignatureValid(payload, SECRET, stale)).toBe(false);
    expect(ours(stale)).toBe("invalid_signature");
  });

  it("accepts any secret of the list while a secret is rotated", () => {
    const ts = nowSeconds();
    expect(ours(paddleSignatureHeader(payload, OLD_SECRET, ts), [SECRET, OLD_SECRET])).toBe("valid");
    expect(ours(paddleSignatureHeader(payload, SECRET, ts), [SECRET, OLD_SECRET])).toBe("valid");
    expect(ours(paddleSignatureHeader(payload, OLD_SECRET, ts), [SECRET])).toBe("invalid_signature");
  });

  it("accepts any h1 of several, where the SDK keeps only the last one it reads", async () => {
    const ts = nowSeconds();
    const header = `ts=${ts};h1=${h1(SECRET, ts)};h1=${h1(OLD_SECRET, ts)}`;
    expect(await paddle.webhooks.isSignatureValid(payload, SECRET, header)).toBe(false);
    expect(ours(header, [SECRET])).toBe("valid");
    expect(await paddle.webhooks.isSignatureValid(payload, OLD_SECRET, header)).toBe(true);
    expect(ours(header, [OLD_SECRET])).toBe("valid");
  });

  it(`keeps Paddle's tolerance of ${PADDLE_TOLERANCE_SECONDS} s, as the SDK does: accepts a ts exactly that old, refuses one a millisecond older`, async () => {
    const ts = 1_706_745_600;
    const header = paddleSignatureHeader(payload, SECRET, ts);
    const edge = (ts + PADDLE_TOLERANCE_SECONDS) * 1000;
    expect(ours(header, [SECRET], edge)).toBe("valid");
    expect(ours(header, [SECRET], edge + 1)).toBe("invalid_signature");
    vi.useFakeTimers({ now: edge, toFake: ["Date"] });
    expect(await paddle.webhooks.isSignatureValid(payload, SECRET, header)).toBe(true);
    vi.setSystemTime(edge + 1);
    expect(await paddle.webhooks.isSignatureValid(payload, SECRET, header)).toBe(false);
  });

  it(`refuses a ts more than ${PADDLE_TOLERANCE_SECONDS} s in the future, which the SDK would accept`, async () => {
    const ts = 1_706_745_600;
    const header = paddleSignatureHeader(payload, SECRET, ts);
    expect(ours(header, [SECRET], (ts - PADDLE_TOLERANCE_SECONDS) * 1000)).toBe("valid");
    expect(ours(header, [SECRET], (ts - PADDLE_TOLERANCE_SECONDS) * 1000 - 1)).toBe("invalid_signature");
    vi.useFakeTimers({ now: (ts - 3600) * 1000, toFake: ["Date"] });
    expect(await paddle.webhooks.isSignatureValid(payload, SECRET, header)).toBe(true);
  });

  it("refuses a missing, empty or unreadable header with a message that says what to fix", () => {
    const ts = nowSeconds();
    const good = h1(SECRET, ts);
    for (const header of [undefined, "", "   ", `h1=${good}`, `ts=${ts}`, `ts=${ts};h1=${good.toUpperCase()}`, `ts=${ts},h1=${good}`, `ts=abc;h1=${good}`]) {
      expect(ours(header), String(header)).toBe("invalid_signature");
    }
    expect(() => verifyPaddleSignature({ payload, headers: {}, secrets: [SECRET], now: Date.now() })).toThrow(/Missing Paddle-Signature header/);
    expect(() => verifyPaddleSignature({ payload, headers: { "paddle-signature": `ts=${ts};h1=${"0".repeat(64)}` }, secrets: [SECRET], now: Date.now() })).toThrow(
      /raw request body.*secret key/,
    );
  });

  it("reads the header's parts in any order, with spaces around them, and ignores other schemes", () => {
    const ts = nowSeconds();
    expect(ours(`h2=abc; h1=${h1(SECRET, ts)} ; ts=${ts}`)).toBe("valid");
  });
});
