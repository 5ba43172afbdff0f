import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFullstoryClient, parseRetryAfter, type SendResult } from "../../functions/fullstory/client";
import { buildUpsertRequest, type FullstoryRequest } from "../../functions/fullstory/request";
import type { Upsert } from "../../functions/upsert";
import { loadUsersSpec, startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";

const KEY = "na1.valid-key";
let fake: FullstoryFake;
const client = createFullstoryClient({ connections: 4, connectTimeoutMs: 1_000, headersTimeoutMs: 300, bodyTimeoutMs: 300 });

beforeAll(async () => {
  fake = await startFullstoryFake({ keys: [KEY] });
});
afterEach(() => {
  fake.faults.length = 0;
});
afterAll(async () => {
  await client.close();
  await fake.stop();
});

const request = (upsert: Upsert, opts: { key?: string; idem?: string } = {}) =>
  withKey(buildUpsertRequest({ apiUrl: fake.url, apiKey: opts.key ?? KEY, upsert, source: "standard", eventId: "evt_client" }), opts.idem ?? crypto.randomUUID());
/** The request with another Idempotency-Key: these tests drive the fake's key handling directly. */
const withKey = (req: FullstoryRequest, key: string): FullstoryRequest => ({ ...req, headers: { ...req.headers, "idempotency-key": key } });
const user = (uid: string, properties: Upsert["properties"] = { plan: "pro" }): Upsert => ({ uid, properties });

describe("Fullstory client against the V2 fake", () => {
  it("upserts a user and returns Fullstory's id", async () => {
    const result = await client.send(request({ uid: "u-ok", email: "a@example.com", properties: { plan: "pro", seats: 3 } }));
    expect(result.kind).toBe("ok");
    const stored = fake.users.get("u-ok");
    expect(result).toEqual({ kind: "ok", id: stored?.id });
    expect(stored).toMatchObject({ email: "a@example.com", properties: { plan: "pro", seats: 3 } });
    expect(fake.requests.at(-1)?.integrationSource).toBe("fullstory-webhook-bridge");
  });

  it("merges properties last-write-wins across upserts of one uid", async () => {
    await client.send(request(user("u-merge", { plan: "free", seats: 1 })));
    await client.send(request(user("u-merge", { plan: "pro" })));
    expect(fake.users.get("u-merge")?.properties).toEqual({ plan: "pro", seats: 1 });
  });

  it("classifies 429 as retryable with its Retry-After", async () => {
    fake.faults.push({ status: 429, retryAfterSeconds: 2 });
    expect(await client.send(request(user("u-429")))).toEqual({ kind: "retryable", status: 429, retryAfterMs: 2_000, code: "too_many_requests" });
  });

  it.each([500, 502, 503])("classifies %i as retryable", async (status) => {
    fake.faults.push({ status });
    expect(await client.send(request(user(`u-${status}`)))).toMatchObject({ kind: "retryable", status, code: "server_error" });
  });

  it("classifies a 400 as permanent with Fullstory's code and message", async () => {
    const result = await client.send(request(user("u-400", { "9starts_with_digit": 1 })));
    expect(result).toMatchObject({ kind: "permanent", status: 400, code: "invalid_argument" });
    expect((result as Extract<SendResult, { kind: "permanent" }>).message).toContain("9starts_with_digit");
  });

  it("classifies an unknown key as auth", async () => {
    expect(await client.send(request(user("u-401"), { key: "na1.revoked" }))).toEqual({ kind: "auth", status: 401 });
  });

  it("classifies a response slower than the headers timeout as retryable", async () => {
    fake.faults.push({ delayMs: 1_000 });
    expect(await client.send(request(user("u-slow")))).toEqual({ kind: "retryable", code: "UND_ERR_HEADERS_TIMEOUT" });
  });

  it("times out when the fake's added latency exceeds the headers timeout", async () => {
    fake.latencyMs = 1_200;
    try {
      expect(await client.send(request(user("u-latency")))).toEqual({ kind: "retryable", code: "UND_ERR_HEADERS_TIMEOUT" });
    } finally {
      fake.latencyMs = 0;
    }
  });

  it("classifies a reset connection as retryable", async () => {
    fake.faults.push({ reset: true });
    expect(await client.send(request(user("u-reset")))).toEqual({ kind: "retryable", code: "UND_ERR_SOCKET" });
  });

  it("classifies a refused connection as retryable", async () => {
    const refused = buildUpsertRequest({ apiUrl: "http://127.0.0.1:1", apiKey: KEY, upsert: user("u"), source: "standard", eventId: "evt_client" });
    expect(await client.send(refused)).toEqual({ kind: "retryable", code: "ECONNREFUSED" });
  });

  it("replays the saved answer for a repeated idempotency key and refuses it with another body", async () => {
    const idem = crypto.randomUUID();
    const first = await client.send(request(user("u-idem", { plan: "pro" }), { idem }));
    const again = await client.send(request(user("u-idem", { plan: "pro" }), { idem }));
    expect(again).toEqual(first);
    expect(fake.requests.at(-1)?.replayed).toBe(true);
    expect(await client.send(request(user("u-idem", { plan: "enterprise" }), { idem }))).toMatchObject({ kind: "permanent", status: 400 });
    expect(fake.users.get("u-idem")?.properties.plan).toBe("pro");
  });

  it("does not save a 5xx answer under its idempotency key", async () => {
    const idem = crypto.randomUUID();
    fake.faults.push({ status: 503 });
    expect((await client.send(request(user("u-idem-5xx"), { idem }))).kind).toBe("retryable");
    expect((await client.send(request(user("u-idem-5xx"), { idem }))).kind).toBe("ok");
  });

  it("reuses its pooled sockets: many sends open no more connections than the pool holds", async () => {
    const before = fake.connections;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => client.send(request(user(`u-pool-${i}`)))));
    expect(results.every((r) => r.kind === "ok")).toBe(true);
    expect(fake.connections - before).toBeLessThanOrEqual(4);
  });
});

describe("the Fullstory fake follows Fullstory's OpenAPI description", () => {
  it("takes its limits from CreateUserRequest", () => {
    expect(loadUsersSpec().limits).toEqual({ uid: 256, displayName: 256, email: 128, properties: 500, propertyName: 512, valueBytes: 8192 });
  });

  it("refuses more properties than maxProperties", async () => {
    const props = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`p${i}`, i]));
    expect(await client.send(request(user("u-many", props)))).toMatchObject({ kind: "permanent", status: 400 });
  });

  it("answers GET /v2/users/{id} with the stored user", async () => {
    const result = await client.send(request(user("u-get", { plan: "team" })));
    const id = (result as { id: string }).id;
    const res = await fetch(`${fake.url}/v2/users/${id}`, { headers: { authorization: `Basic ${KEY}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, uid: "u-get", properties: { plan: "team" }, is_being_deleted: false });
  });

  it("keeps a user's uid immutable on update by id", async () => {
    const { id } = (await client.send(request(user("u-fixed")))) as { id: string };
    const res = await fetch(`${fake.url}/v2/users/${id}`, {
      method: "POST",
      headers: { authorization: `Basic ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ uid: "u-other", properties: {} }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid_argument" });
  });
});

describe("parseRetryAfter", () => {
  it("reads delay-seconds and HTTP dates", () => {
    expect(parseRetryAfter("3")).toBe(3_000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(5_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
