import { createHmac } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, type SourceName } from "../../functions/config";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import { QueueMessageSchema } from "../../functions/message";
import { createSecretsReader } from "../../functions/secrets";
import { apiEvent, parseResponse } from "../support/api-event";
import { clerkEvent, clerkUser } from "../support/clerk-events";
import { lemonSqueezyEvent, lsSubscription } from "../support/lemonsqueezy-events";
import { memoryQueue } from "../support/memory-queue";
import { polarEvent, polarSubscription } from "../support/polar-events";
import { customerObject, stripeEvent } from "../support/stripe-events";
import { TimeSchema } from "../../functions/sources/paddle/schema";
import { chargebeeAuthorization, paddleSignatureHeader } from "../../tools/sign";
import { chargebeeCustomer, chargebeeEvent } from "../support/chargebee-events";
import { paddleCustomer, paddleEvent } from "../support/paddle-events";
import { workosEvent, workosUser } from "../support/workos-events";

/**
 * Hostile input against the ingest handler, for every source: whatever arrives, the answer is a
 * 4xx (or 200 ignored), never a throw and never a 5xx, and nothing is queued, so Fullstory is never
 * called. Bodies are signed with the official libraries where the point is what happens after the
 * signature check; Lemon Squeezy's has no signer, and WorkOS's signs only objects (it serialises
 * them itself), so their raw bodies are signed with an HMAC computed here (their verifiers are
 * cross-checked against the providers' documentation and SDK in their own tests). Run counts are
 * printed at the end.
 */

const SECRETS: Record<SourceName, string> = {
  stripe: "whsec_hostile_stripe",
  clerk: `whsec_${Buffer.from("hostile-clerk-secret-bytes").toString("base64")}`,
  standard: `whsec_${Buffer.from("hostile-standard-secret-bytes").toString("base64")}`,
  paddle: "pdl_ntfset_01hostilepaddle_secretkey",
  chargebee: "hostile:chargebee-password",
  lemonsqueezy: "hostile-lemonsqueezy-secret",
  polar: `whsec_${Buffer.from("hostile-polar-secret-bytes-0123").toString("base64")}`,
  workos: "hostile-workos-secret",
};
/** The header each source's signature travels in. */
const SIGNATURE_HEADER: Record<SourceName, string> = {
  stripe: "stripe-signature",
  clerk: "webhook-signature",
  standard: "webhook-signature",
  lemonsqueezy: "x-signature",
  polar: "webhook-signature",
  workos: "workos-signature",
  paddle: "paddle-signature",
  chargebee: "authorization",
};
const SOURCES = Object.keys(SECRETS) as SourceName[];
/** Chargebee signs nothing: no timestamp to replay past, no body in its credentials. */
const SIGNED_SOURCES = SOURCES.filter((s) => s !== "chargebee");
const MAX_BODY = 64 * 1024;
const stripe = new Stripe("sk_test_unused");
const runs: Record<string, number> = {};

function harness() {
  const config = loadConfig({
    STRIPE_WEBHOOK_SECRET: SECRETS.stripe,
    CLERK_WEBHOOK_SECRET: SECRETS.clerk,
    STANDARD_WEBHOOK_SECRET: SECRETS.standard,
    PADDLE_WEBHOOK_SECRET: SECRETS.paddle,
    CHARGEBEE_WEBHOOK_SECRET: SECRETS.chargebee,
    LEMONSQUEEZY_WEBHOOK_SECRET: SECRETS.lemonsqueezy,
    POLAR_WEBHOOK_SECRET: SECRETS.polar,
    WORKOS_WEBHOOK_SECRET: SECRETS.workos,
    BRIDGE_MAX_BODY_BYTES: String(MAX_BODY),
  });
  const queue = memoryQueue();
  const secrets = createSecretsReader(config, { get: () => Promise.reject(new Error("no parameters here")) });
  const handler = createIngestHandler(() => ({ config, queue, secrets, log: createLogger(() => {}) }));
  const post = async (source: string, body: string | Buffer, headers: Record<string, string>) =>
    parseResponse(await handler(apiEvent({ path: `/webhooks/${source}`, headers, body, base64: Buffer.isBuffer(body) })));
  return { post, queue };
}

/** The hex HMAC-SHA256 of `parts` (text or bytes, in order) under `secret`. */
const hexHmac = (secret: string, ...parts: (string | Buffer)[]) => parts.reduce((h, part) => h.update(part), createHmac("sha256", secret)).digest("hex");

/**
 * Signature headers of `source` for `payload`, now (or at `at`, seconds). Paddle's and Chargebee's
 * official libraries only verify: their headers come from the send tool's signer, which
 * test/unit/paddle-verify.test.ts and chargebee-verify.test.ts check against those libraries.
 */
function sign(source: SourceName, payload: string, at = Math.floor(Date.now() / 1000), id = "msg_hostile"): Record<string, string> {
  if (source === "paddle") return { "paddle-signature": paddleSignatureHeader(payload, SECRETS.paddle, at) };
  if (source === "chargebee") return { authorization: chargebeeAuthorization(SECRETS.chargebee) };
  if (source === "stripe") {
    return { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret: SECRETS.stripe, timestamp: at }) };
  }
  if (source === "lemonsqueezy") return { "x-signature": hexHmac(SECRETS.lemonsqueezy, payload) };
  if (source === "workos") return { "workos-signature": `t=${at * 1000}, v1=${hexHmac(SECRETS.workos, `${at * 1000}.`, payload)}` };
  return { "webhook-id": id, "webhook-timestamp": String(at), "webhook-signature": new Webhook(SECRETS[source]).sign(id, new Date(at * 1000), payload) };
}

/** Signature headers of `source` over raw bytes (an HMAC computed here: the libraries sign text), at `t` seconds. */
function signBytes(source: SourceName, bytes: Buffer, t: number): Record<string, string> {
  if (source === "stripe") return { "stripe-signature": `t=${t},v1=${hexHmac(SECRETS.stripe, `${t}.`, bytes)}` };
  if (source === "lemonsqueezy") return { "x-signature": hexHmac(SECRETS.lemonsqueezy, bytes) };
  if (source === "workos") return { "workos-signature": `t=${t * 1000}, v1=${hexHmac(SECRETS.workos, `${t * 1000}.`, bytes)}` };
  if (source === "paddle") return { "paddle-signature": `ts=${t};h1=${hexHmac(SECRETS.paddle, `${t}:`, bytes)}` };
  const key = Buffer.from(SECRETS[source].slice("whsec_".length), "base64");
  return {
    "webhook-id": "msg_bytes",
    "webhook-timestamp": String(t),
    "webhook-signature": `v1,${createHmac("sha256", key).update(`msg_bytes.${t}.`).update(bytes).digest("base64")}`,
  };
}

/** A valid, mapped event of each source, as a JSON-ready object. */
function validBody(source: SourceName): Record<string, unknown> {
  if (source === "stripe") return stripeEvent("customer.updated", customerObject());
  if (source === "clerk") return clerkEvent("user.updated", clerkUser());
  if (source === "paddle") return paddleEvent("customer.updated", paddleCustomer());
  if (source === "chargebee") return chargebeeEvent("customer_changed", { customer: chargebeeCustomer() });
  if (source === "lemonsqueezy") return lemonSqueezyEvent("subscription_updated", "subscription", lsSubscription());
  if (source === "polar") return polarEvent("subscription.updated", polarSubscription());
  if (source === "workos") return workosEvent("user.updated", workosUser());
  return { uid: "user_hostile", email: "hostile@example.com", display_name: "Hostile", properties: { plan: "pro" } };
}

/** Where each source's mapping reads a field, and what a value of the right type is. */
const MAPPED_FIELDS: Record<SourceName, { path: string[]; ok: (v: unknown) => boolean }[]> = {
  stripe: [
    { path: ["id"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["type"], ok: (v) => typeof v === "string" },
    { path: ["created"], ok: (v) => Number.isInteger(v) && (v as number) >= 0 },
    { path: ["data"], ok: () => false },
    { path: ["data", "object"], ok: () => false },
    { path: ["data", "object", "id"], ok: (v) => typeof v === "string" },
    { path: ["data", "object", "created"], ok: (v) => Number.isInteger(v) && (v as number) >= 0 },
    { path: ["data", "object", "email"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "object", "name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "object", "delinquent"], ok: (v) => v === null || typeof v === "boolean" },
    { path: ["data", "object", "metadata"], ok: (v) => v === null || (isObject(v) && Object.values(v).every((x) => typeof x === "string")) },
  ],
  clerk: [
    { path: ["type"], ok: (v) => typeof v === "string" && v.length > 0 && !["user.created", "user.updated", "user.deleted"].includes(v) },
    { path: ["object"], ok: () => false },
    { path: ["data"], ok: () => false },
    { path: ["data", "id"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["data", "email_addresses"], ok: (v) => Array.isArray(v) && v.length === 0 },
    { path: ["data", "primary_email_address_id"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "first_name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "last_name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "username"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "created_at"], ok: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 253_402_300_800_000 },
    { path: ["data", "last_sign_in_at"], ok: (v) => v === null || (Number.isInteger(v) && (v as number) >= 0 && (v as number) < 253_402_300_800_000) },
  ],
  standard: [
    { path: ["uid"], ok: (v) => typeof v === "string" && v.length > 0 && v.length <= 256 },
    { path: ["email"], ok: (v) => typeof v === "string" && v.length <= 128 },
    { path: ["display_name"], ok: (v) => typeof v === "string" && v.length <= 256 },
    { path: ["properties"], ok: (v) => isObject(v) },
  ],
  paddle: [
    { path: ["event_id"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["event_type"], ok: (v) => v === "customer.created" || v === "customer.updated" },
    { path: ["occurred_at"], ok: (v) => TimeSchema.safeParse(v).success },
    { path: ["data"], ok: () => false },
    { path: ["data", "id"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["data", "email"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "created_at"], ok: (v) => TimeSchema.safeParse(v).success },
    { path: ["data", "custom_data"], ok: (v) => v === null || isObject(v) },
  ],
  chargebee: [
    { path: ["id"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["event_type"], ok: (v) => v === "customer_created" || v === "customer_changed" },
    { path: ["occurred_at"], ok: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 253_402_300_800 },
    { path: ["content"], ok: () => false },
    { path: ["content", "customer"], ok: () => false },
    { path: ["content", "customer", "id"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["content", "customer", "email"], ok: (v) => v === null || typeof v === "string" },
    { path: ["content", "customer", "first_name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["content", "customer", "last_name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["content", "customer", "created_at"], ok: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 253_402_300_800 },
    { path: ["content", "customer", "meta_data"], ok: (v) => v === null || isObject(v) },
    { path: ["content", "customer", "resource_version"], ok: (v) => v === null || (Number.isSafeInteger(v) && (v as number) >= 0) },
  ],
  lemonsqueezy: [
    { path: ["meta"], ok: () => false },
    { path: ["meta", "event_name"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["meta", "test_mode"], ok: (v) => typeof v === "boolean" },
    { path: ["meta", "custom_data"], ok: (v) => v === null || isObject(v) },
    { path: ["data"], ok: () => false },
    { path: ["data", "type"], ok: (v) => v === "subscriptions" },
    { path: ["data", "id"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["data", "attributes"], ok: () => false },
    { path: ["data", "attributes", "customer_id"], ok: (v) => Number.isInteger(v) && (v as number) >= 0 },
    { path: ["data", "attributes", "status"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["data", "attributes", "cancelled"], ok: (v) => typeof v === "boolean" },
    { path: ["data", "attributes", "product_name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "attributes", "user_email"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "attributes", "user_name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "attributes", "renews_at"], ok: (v) => v === null },
    { path: ["data", "attributes", "updated_at"], ok: () => false },
    {
      path: ["data", "attributes", "first_subscription_item"],
      ok: (v) => v === null || (isObject(v) && Number.isInteger(v.quantity) && (v.quantity as number) >= 0),
    },
  ],
  polar: [
    { path: ["type"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["timestamp"], ok: () => false },
    { path: ["data"], ok: () => false },
    { path: ["data", "id"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["data", "amount"], ok: (v) => Number.isInteger(v) && (v as number) >= 0 },
    { path: ["data", "currency"], ok: (v) => typeof v === "string" && /^[A-Za-z]{3}$/.test(v) },
    { path: ["data", "recurring_interval"], ok: (v) => ["day", "week", "month", "year"].includes(v as string) },
    { path: ["data", "recurring_interval_count"], ok: (v) => Number.isInteger(v) && (v as number) > 0 },
    { path: ["data", "status"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["data", "cancel_at_period_end"], ok: (v) => typeof v === "boolean" },
    { path: ["data", "seats"], ok: (v) => v === null || (Number.isInteger(v) && (v as number) >= 0) },
    { path: ["data", "current_period_end"], ok: (v) => v === null },
    { path: ["data", "metadata"], ok: (v) => v === null || isPolarMetadata(v) },
    { path: ["data", "customer"], ok: () => false },
    { path: ["data", "customer", "external_id"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "customer", "email"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "customer", "name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "customer", "metadata"], ok: (v) => v === null || isPolarMetadata(v) },
    { path: ["data", "product"], ok: () => false },
    { path: ["data", "product", "name"], ok: (v) => v === null || typeof v === "string" },
  ],
  workos: [
    { path: ["id"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["event"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["created_at"], ok: () => false },
    { path: ["data"], ok: () => false },
    { path: ["data", "id"], ok: (v) => typeof v === "string" && v.length > 0 },
    { path: ["data", "email"], ok: (v) => typeof v === "string" },
    { path: ["data", "email_verified"], ok: (v) => typeof v === "boolean" },
    { path: ["data", "first_name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "last_name"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "external_id"], ok: (v) => v === null || typeof v === "string" },
    { path: ["data", "last_sign_in_at"], ok: (v) => v === null },
    { path: ["data", "created_at"], ok: () => false },
  ],
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isPolarMetadata = (v: unknown) => isObject(v) && Object.values(v).every((x) => ["string", "number", "boolean"].includes(typeof x));

function setAt(body: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path[path.length - 1] as string] = value;
  return copy;
}

/** Runs a property `numRuns` times and keeps the count for the summary line. */
async function check<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, numRuns: number) {
  await fc.assert(
    fc.asyncProperty(arb, async (value) => {
      runs[name] = (runs[name] ?? 0) + 1;
      await predicate(value);
    }),
    { numRuns },
  );
}

const source = fc.constantFrom(...SOURCES);
const nowSeconds = () => Math.floor(Date.now() / 1000);

afterAll(() => {
  const total = Object.values(runs).reduce((a, b) => a + b, 0);
  process.stdout.write(`hostile input property runs: ${total} (${Object.entries(runs).map(([k, v]) => `${k} ${v}`).join(", ")})\n`);
});

describe("hostile input to ingest", () => {
  it("answers random bytes, with or without signature-shaped headers, with a 4xx and queues nothing", async () => {
    const { post, queue } = harness();
    const headers = fc.record({
      "stripe-signature": fc.oneof(fc.string(), fc.constant(`t=${nowSeconds()},v1=${"a".repeat(64)}`)),
      "webhook-id": fc.string(),
      "webhook-timestamp": fc.oneof(fc.string(), fc.constant(String(nowSeconds()))),
      "webhook-signature": fc.oneof(fc.string(), fc.base64String().map((s) => `v1,${s}`)),
      "paddle-signature": fc.oneof(fc.string(), fc.constant(`ts=${nowSeconds()};h1=${"a".repeat(64)}`)),
      authorization: fc.oneof(fc.string(), fc.base64String().map((s) => `Basic ${s}`)),
      "x-signature": fc.oneof(fc.string(), fc.constant("a".repeat(64))),
      "workos-signature": fc.oneof(fc.string(), fc.constant(`t=${Date.now()}, v1=${"a".repeat(64)}`)),
    }, { requiredKeys: [] });
    await check("random bytes", fc.tuple(source, fc.uint8Array({ maxLength: 4096 }), headers), async ([s, bytes, h]) => {
      const { status } = await post(s, Buffer.from(bytes), h);
      expect([400, 401]).toContain(status);
    }, 1500);
    expect(queue.sent).toHaveLength(0);
    expect(queue.deadLetters).toHaveLength(0);
  });

  it("answers every truncation of a correctly signed event with 400 invalid_payload", async () => {
    const { post, queue } = harness();
    await check("truncated JSON", fc.tuple(source, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })), async ([s, cut]) => {
      const full = JSON.stringify(validBody(s));
      const payload = full.slice(0, Math.floor(cut * full.length));
      const { status, body } = await post(s, payload, sign(s, payload));
      expect({ status, body }).toEqual({ status: 400, body: { error: "invalid_payload", issues: ["$"] } });
    }, 600);
    expect(queue.sent).toHaveLength(0);
  });

  it("answers correctly signed JSON nested deeper than any webhook with 400, wherever the nesting is", async () => {
    const { post, queue } = harness();
    const nesting = fc.record({ depth: fc.integer({ min: 65, max: 30_000 }), kind: fc.constantFrom("array", "object") });
    await check("deeply nested JSON", fc.tuple(source, nesting, fc.nat()), async ([s, { depth, kind }, pick]) => {
      const deep = kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
      const base = validBody(s);
      // The root itself, a mapped field, or a field the mapping does not read.
      const spots = [[], ...MAPPED_FIELDS[s].map((f) => f.path), s === "standard" ? ["properties", "nested"] : ["unmapped_field"]];
      const path = spots[pick % spots.length] as string[];
      const marker = "__deep__";
      const payload = path.length === 0 ? deep : JSON.stringify(setAt(base, path, marker)).replace(`"${marker}"`, deep);
      const { status } = await post(s, payload, sign(s, payload));
      expect(status).toBe(Buffer.byteLength(payload) > MAX_BODY ? 413 : 400);
    }, 300);
    expect(queue.sent).toHaveLength(0);
    expect(queue.deadLetters).toHaveLength(0);
  });

  it("answers a correctly signed event with a wrong type in any mapped field with 400 (or 200 ignored), queueing nothing", async () => {
    const { post, queue } = harness();
    const arb = source.chain((s) => fc.tuple(fc.constant(s), fc.constantFrom(...MAPPED_FIELDS[s]), fc.jsonValue({ maxDepth: 3 })));
    await check("wrong types", arb.filter(([, field, value]) => !field.ok(value)), async ([s, field, value]) => {
      const payload = JSON.stringify(setAt(validBody(s), field.path, value));
      const { status, body } = await post(s, payload, sign(s, payload));
      if (status === 200) expect(body).toEqual({ status: "ignored", reason: "unmapped_event_type" });
      else expect(status, `${s} ${field.path.join(".")} = ${JSON.stringify(value)}`).toBe(400);
    }, 1500);
    expect(queue.sent).toHaveLength(0);
    expect(queue.deadLetters).toHaveLength(0);
  });

  it("keeps huge strings in mapped fields out of Fullstory's limits: 413 over the body limit, else 400, 200 ignored, or a queued upsert within the limits", async () => {
    const { post, queue } = harness();
    const huge = fc.integer({ min: 257, max: 96 * 1024 }).map((n) => "x".repeat(n));
    const arb = source.chain((s) => fc.tuple(fc.constant(s), fc.constantFrom(...MAPPED_FIELDS[s].filter((f) => f.ok("x"))), huge));
    await check("huge strings", arb, async ([s, field, value]) => {
      const payload = JSON.stringify(setAt(validBody(s), field.path, value));
      const { status } = await post(s, payload, sign(s, payload));
      if (Buffer.byteLength(payload) > MAX_BODY) expect(status).toBe(413);
      else expect([200, 202, 400]).toContain(status);
    }, 300);
    // Whatever got through (a too-long Stripe name is dropped, not refused) is a message deliver reads and Fullstory takes.
    for (const m of queue.sent) expect(QueueMessageSchema.safeParse(m).success).toBe(true);
    for (const l of queue.deadLetters) expect(QueueMessageSchema.safeParse(JSON.parse(l.body)).success).toBe(true);
  });

  it("refuses invalid UTF-8 signed byte for byte: the body never verifies, and with Chargebee's credentials it is a 400", async () => {
    const { post, queue } = harness();
    const invalid = fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xc0, 0xaf]);
    // A position anywhere in the body, evenly (fc.double's bias to 0 would put nearly every one in front of it).
    await check("invalid UTF-8", fc.tuple(source, invalid, fc.nat()), async ([s, bad, where]) => {
      const text = Buffer.from(JSON.stringify(validBody(s)));
      const at = where % (text.length + 1);
      const bytes = Buffer.concat([text.subarray(0, at), Buffer.from(bad), text.subarray(at)]);
      if (s === "chargebee") {
        // Chargebee's credentials do not cover the body: the bytes themselves are refused.
        expect((await post(s, bytes, sign(s, ""))).status).toBe(400);
        return;
      }
      expect((await post(s, bytes, signBytes(s, bytes, nowSeconds()))).status).toBe(401);
    }, 300);
    expect(queue.sent).toHaveLength(0);
    expect(queue.deadLetters).toHaveLength(0);
  });

  it("answers odd, duplicated and oversized signature headers with 401", async () => {
    const { post, queue } = harness();
    // What API Gateway makes of a header sent twice: one value, the two joined by a comma.
    const odd = (s: SourceName, payload: string) => {
      const t = nowSeconds();
      if (s === "paddle") {
        const good = sign(s, payload, t)["paddle-signature"] as string;
        const hex = good.slice(good.indexOf("h1=") + 3);
        const forged = `ts=${t};h1=${"0".repeat(64)}`;
        return fc.constantFrom(
          good.toUpperCase(),
          `${forged};${forged}`,
          forged.repeat(500),
          `ts=${t};h2=${hex}`,
          `h1=${hex}`,
          `ts=${t};h1=${hex.slice(1)}`,
          `ts=${t};h1=${hex}0`,
          `ts=${t}.0;h1=${hex}`,
          `ts=-${t};h1=${hex}`,
          `ts=${t},h1=${hex}`,
          `ts=${t};h1=${hex.toUpperCase()}`,
          "x".repeat(60_000),
          "",
        );
      }
      if (s === "chargebee") {
        const encoded = (text: string) => Buffer.from(text).toString("base64");
        const [user, password] = SECRETS.chargebee.split(":") as [string, string];
        return fc.constantFrom(
          `Bearer ${encoded(SECRETS.chargebee)}`,
          `Basic ${encoded(`${user}:${password}x`)}`,
          `Basic ${encoded(`${user}:${password.slice(1)}`)}`,
          `Basic ${encoded(`${user.toUpperCase()}:${password}`)}`,
          `Basic ${encoded(`${user}${password}`)}`,
          `Basic ${encoded(`:${password}`)}`,
          `Basic ${encoded(`${user}:`)}`,
          `Basic ${encoded(SECRETS.chargebee)}, Basic ${encoded(SECRETS.chargebee)}`,
          `Basic ${SECRETS.chargebee}`,
          `Basic ${encoded(SECRETS.chargebee).toLowerCase()}`,
          `Basic${encoded(SECRETS.chargebee)}`,
          `Basic ${"QUFB".repeat(15_000)}`,
          "",
        );
      }
      if (s === "stripe") {
        const good = sign(s, payload, t)["stripe-signature"] as string;
        const hex = good.slice(good.indexOf("v1=") + 3);
        const forged = `t=${t},v1=${"0".repeat(64)}`;
        return fc.constantFrom(
          good.toUpperCase(),
          `${forged},${forged}`,
          forged.repeat(500),
          `t=${t},v2=${hex}`,
          `v1=${hex}`,
          `t=${t},v1=${hex.slice(1)}`,
          `t=${t},v1=${hex}0`,
          `t=${t}.0,v1=${hex}`,
          `t=-${t},v1=${hex}`,
          `t=${t},v1=${hex.toUpperCase()}`,
          "x".repeat(60_000),
          "",
        );
      }
      if (s === "lemonsqueezy") {
        const good = sign(s, payload, t)["x-signature"] as string;
        const zeros = "0".repeat(64);
        return fc.constantFrom(
          good.toUpperCase(),
          good.slice(1),
          `${good}0`,
          `sha256=${good}`,
          `${zeros},${zeros}`,
          `${good} ${good}`,
          Buffer.from(good, "hex").toString("base64"),
          zeros,
          "x".repeat(60_000),
          "",
        );
      }
      if (s === "workos") {
        const ms = t * 1000;
        const good = sign(s, payload, t)["workos-signature"] as string;
        const hex = good.slice(good.indexOf("v1=") + 3);
        const forged = `t=${ms}, v1=${"0".repeat(64)}`;
        return fc.constantFrom(
          good.toUpperCase(),
          `${forged}, ${forged}`,
          forged.repeat(500),
          `t=${ms}, v2=${hex}`,
          `v1=${hex}`,
          `t=${ms}, v1=${hex.slice(1)}`,
          `t=${ms}, v1=${hex}0`,
          `t=${ms}.0, v1=${hex}`,
          `t=-${ms}, v1=${hex}`,
          `t=${ms}, v1=${hex.toUpperCase()}`,
          `t=${t}, v1=${hex}`,
          `t=${ms} v1=${hex}`,
          "x".repeat(60_000),
          "",
        );
      }
      const good = sign(s, payload, t)["webhook-signature"] as string;
      const b64 = good.slice(3);
      const forged = `v1,${Buffer.alloc(32).toString("base64")}`;
      return fc.constantFrom(
        good.toUpperCase(),
        `V1,${b64}`,
        `v1,${b64.replace(/=+$/, "")}`,
        `v1 ,${b64}`,
        `v1,,${b64}`,
        `v2,${b64}`,
        `${forged},${forged}`,
        `${forged} `.repeat(2_000),
        `v1,${Buffer.from(b64, "base64").toString("hex")}`,
        "x".repeat(60_000),
        "",
      );
    };
    const arb = source.chain((s) => {
      const payload = JSON.stringify(validBody(s));
      return fc.tuple(fc.constant(s), fc.constant(payload), odd(s, payload));
    });
    await check("signature headers", arb, async ([s, payload, value]) => {
      const headers = { ...sign(s, payload), [SIGNATURE_HEADER[s]]: value };
      expect((await post(s, payload, headers)).status).toBe(401);
    }, 300);
    expect(queue.sent).toHaveLength(0);
  });

  it("answers correctly signed events replayed after the tolerance, or dated ahead of it, with 401", async () => {
    const { post, queue } = harness();
    // Each source's own tolerance: 300 s, or Paddle's 5 s (functions/sources/paddle/verify.ts).
    const skew = fc.oneof(fc.integer({ min: 301, max: 10 * 365 * 86_400 }), fc.integer({ min: -10 * 365 * 86_400, max: -301 }));
    // Lemon Squeezy signs no timestamp, so it has no tolerance to enforce: a replay of one of its
    // requests is caught only as a duplicate (SECURITY.md). Chargebee signs nothing.
    const timed = fc.constantFrom(...SIGNED_SOURCES.filter((s) => s !== "lemonsqueezy"));
    await check("replayed and future timestamps", fc.tuple(timed, skew), async ([s, offset]) => {
      const payload = JSON.stringify(validBody(s));
      const { status, body } = await post(s, payload, sign(s, payload, nowSeconds() + offset));
      expect({ status, body }).toEqual({ status: 401, body: { error: "invalid_signature" } });
    }, 600);
    expect(queue.sent).toHaveLength(0);
  });
});
