import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { apiKeyGetter } from "../../functions/deliver-core";
import { createFullstoryClient } from "../../functions/fullstory/client";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import { createParameterStore } from "../../functions/parameters";
import { queueEntry } from "../../functions/message";
import { createSqsQueue } from "../../functions/queue/sqs";
import { createSecretsReader } from "../../functions/secrets";
import { startDeliveryLoop } from "../../local/delivery-loop";
import { createLocalServer, listen } from "../../local/http";
import { openQueueStore } from "../../local/queue-store";
import { apiEvent, parseResponse } from "../support/api-event";
import { startDynamo, type LoopbackDynamo } from "../support/dynamo";
import { TEST_CLIENT_TIMEOUTS, deliverContainer } from "../support/deliver-container";
import { startSqs, type LoopbackSqs } from "../support/fauxqs";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { drainQueue } from "../support/sqs-lambda";
import { startSsmFake, type SsmFake } from "../support/ssm-fake";
import { customerObject, stripeEvent } from "../support/stripe-events";

/**
 * Security boundaries on loopback: the body limit comes before any signature or JSON work (and the
 * local server stops reading), no log line carries a secret, key, email or body on any path, and a
 * Fullstory key of the wrong data center never leaves the process.
 */

const STRIPE_SECRET = "whsec_security_stripe_secret_value";
const STANDARD_SECRET = `whsec_${Buffer.from("security-standard-secret-value").toString("base64")}`;
const KEY = "na1.security-api-key-value";
const WRONG_KEY = "na1.security-wrong-key-value";
const EMAIL = "grace.hopper@secret-mail.example";
const NAME = "Grace Brewster Hopper";
const stripe = new Stripe("sk_test_unused");

let sqs: LoopbackSqs;
let dynamo: LoopbackDynamo;
const STATE_TABLE = "bridge-state";
let ssm: SsmFake;
let fullstory: FullstoryFake;
let n = 0;

beforeAll(async () => {
  [sqs, ssm, fullstory, dynamo] = await Promise.all([startSqs(), startSsmFake(), startFullstoryFake({ keys: [KEY] }), startDynamo()]);
  await dynamo.createStateTable(STATE_TABLE);
});
afterAll(() => Promise.all([sqs.stop(), ssm.stop(), fullstory.stop(), dynamo.stop()]));

function signedStripe(object: Record<string, unknown>, id = `evt_security_${++n}`) {
  const payload = JSON.stringify(stripeEvent("customer.updated", customerObject(object), { id }));
  return { payload, headers: { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }) } };
}

function signedStandard(body: Record<string, unknown>) {
  const payload = JSON.stringify(body);
  const id = `msg_security_${++n}`;
  const now = new Date();
  const headers = { "webhook-id": id, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": new Webhook(STANDARD_SECRET).sign(id, now, payload) };
  return { payload, headers };
}

/** A stage with its own FIFO queue; ingest's secrets come through a reader that counts its reads. */
async function stage(env: Record<string, string> = {}) {
  const queue = await sqs.createFifoQueue(`security-${++n}`);
  const lines: string[] = [];
  const config = loadConfig({ STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, STANDARD_WEBHOOK_SECRET: STANDARD_SECRET, BRIDGE_MAX_BODY_BYTES: "4096", ...env });
  const reader = createSecretsReader(config, { get: () => Promise.reject(new Error("no parameters")) });
  const secretReads = { count: 0 };
  const ingest = createIngestHandler(() => ({
    config,
    queue: createSqsQueue({ queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl, client: sqs.client }),
    secrets: (source) => {
      secretReads.count++;
      return reader(source);
    },
    log: createLogger((line) => lines.push(line)),
  }));
  const post = async (source: string, payload: string, headers: Record<string, string>) =>
    parseResponse(await ingest(apiEvent({ path: `/webhooks/${source}`, headers, body: payload })));
  return { queue, post, lines, secretReads };
}

/** What no log line may contain. */
const FORBIDDEN = [STRIPE_SECRET, STANDARD_SECRET, STANDARD_SECRET.slice(6), KEY, WRONG_KEY, EMAIL, NAME, "grace.hopper"];

function expectClean(lines: string[], extra: string[] = []) {
  expect(lines.length).toBeGreaterThan(0);
  const text = lines.join("\n");
  for (const needle of [...FORBIDDEN, ...extra]) expect(text, `a log line contains ${needle.slice(0, 24)}…`).not.toContain(needle);
}

describe("body size limit", () => {
  it("answers 413 to an oversized body with a valid signature before reading any secret or parsing JSON", async () => {
    const s = await stage();
    const big = signedStripe({ name: "x".repeat(5000) });
    expect((await s.post("stripe", big.payload, big.headers)).status).toBe(413);
    const notJson = `{${"x".repeat(5000)}`;
    expect((await s.post("stripe", notJson, { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload: notJson, secret: STRIPE_SECRET }) })).status).toBe(413);
    const bigStandard = signedStandard({ uid: "u", properties: { note: "x".repeat(5000) } });
    expect((await s.post("standard", bigStandard.payload, bigStandard.headers)).status).toBe(413);
    // The signature check needs the secret: none was read, so none was checked.
    expect(s.secretReads.count).toBe(0);
    const small = signedStripe({});
    expect((await s.post("stripe", small.payload, small.headers)).status).toBe(202);
    expect(s.secretReads.count).toBe(1);
  });

  it("local mode answers 413 and closes the connection instead of reading an endless upload", async () => {
    const config = { ...loadConfig({ STRIPE_WEBHOOK_SECRET: STRIPE_SECRET }), maxBodyBytes: 1024 };
    const handler = createIngestHandler(() => ({ config, queue: { send: async () => {}, deadLetter: async () => {} }, secrets: async () => [STRIPE_SECRET], log: createLogger(() => {}) }));
    const server: Server = createLocalServer({ handler, maxBodyBytes: config.maxBodyBytes, log: createLogger(() => {}) });
    const { port } = await listen(server, "127.0.0.1", 0);
    const TOTAL = 1024 * 1024 * 1024;
    const { written, response } = await new Promise<{ written: number; response: string }>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      let written = 0;
      let response = "";
      let closed = false;
      socket.on("data", (d) => (response += d.toString()));
      socket.on("error", () => {});
      socket.on("close", () => {
        closed = true;
        resolve({ written, response });
      });
      socket.on("connect", async () => {
        const signature = stripe.webhooks.generateTestHeaderString({ payload: "{}", secret: STRIPE_SECRET });
        socket.write(`POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nStripe-Signature: ${signature}\r\nContent-Length: ${TOTAL}\r\n\r\n`);
        const chunk = Buffer.alloc(1024 * 1024, 0x61);
        while (!closed && written < TOTAL) {
          written += chunk.byteLength;
          if (!socket.write(chunk)) await new Promise((r) => (socket.once("drain", r), socket.once("close", r)));
        }
        socket.end();
      });
    });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    expect(response).toMatch(/^HTTP\/1\.1 413/);
    // The server hung up long before the gigabyte: what got written is what the socket buffers held.
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });
});

describe("log lines", () => {
  it("carry no secret, API key, email, name, signature or body on any ingest or deliver path, deployed or local", async () => {
    const s = await stage();
    const accepted = signedStripe({ email: EMAIL, name: NAME, metadata: { fullstory_uid: "sec-ok" } });
    const tampered = { ...accepted, payload: accepted.payload.replace("sec-ok", "sec-forged") };
    const unresolved = signedStripe({ email: EMAIL, name: NAME, metadata: {} });
    const invalid = signedStandard({ uid: "sec-invalid", email: EMAIL, display_name: NAME, nickname: NAME });
    const rejected = signedStandard({ uid: "sec-rejected", email: EMAIL, display_name: NAME, properties: { plan: "pro" } });
    const unauthorised = signedStandard({ uid: "sec-unauthorised", email: EMAIL, display_name: NAME, properties: { plan: "pro" } });
    expect((await s.post("stripe", accepted.payload, accepted.headers)).status).toBe(202);
    expect((await s.post("stripe", tampered.payload, tampered.headers)).status).toBe(401);
    expect((await s.post("stripe", unresolved.payload, unresolved.headers)).status).toBe(202);
    expect((await s.post("standard", invalid.payload, invalid.headers)).status).toBe(400);
    expect((await s.post("standard", rejected.payload, rejected.headers)).status).toBe(202);
    expect((await s.post("stripe", `{"email":"${EMAIL}"}`.padEnd(5000), accepted.headers)).status).toBe(413);

    // Deliver: delivered, a 400 dead letter, then a stage whose key Fullstory refuses, then one pinned to another region.
    const param = `/fullstory-bridge/security-${n}/fullstory-api-key`;
    ssm.set(param, KEY);
    fullstory.faultFor = (r) => (r.uid === "sec-rejected" ? { status: 400 } : undefined);
    const deliver = deliverContainer({ sqs, dynamo, stateTable: STATE_TABLE, ssm, fullstory, queue: s.queue, env: { FULLSTORY_API_KEY_PARAMETER: param } });
    await drainQueue({ client: sqs.client, queueUrl: s.queue.queueUrl, queueArn: s.queue.queueArn, handler: deliver.handler });
    fullstory.faultFor = undefined;
    expect(fullstory.users.get("sec-ok")?.email).toBe(EMAIL);

    const wrong = await stage();
    await wrong.post("standard", unauthorised.payload, unauthorised.headers);
    const wrongParam = `/fullstory-bridge/security-${n}/wrong-key`;
    ssm.set(wrongParam, WRONG_KEY);
    const refused = deliverContainer({ sqs, dynamo, stateTable: STATE_TABLE, ssm, fullstory, queue: wrong.queue, env: { FULLSTORY_API_KEY_PARAMETER: wrongParam } });
    await drainQueue({ client: sqs.client, queueUrl: wrong.queue.queueUrl, queueArn: wrong.queue.queueArn, handler: refused.handler, timeoutMs: 4_000 });
    expect(fullstory.requests.some((r) => r.uid === "sec-unauthorised" && r.status === 401)).toBe(true);

    const pinned = await stage();
    const eu = signedStandard({ uid: "sec-pinned", email: EMAIL, display_name: NAME });
    await pinned.post("standard", eu.payload, eu.headers);
    const euDeliver = deliverContainer({ sqs, dynamo, stateTable: STATE_TABLE, ssm, fullstory, queue: pinned.queue, env: { FULLSTORY_API_KEY_PARAMETER: param, FULLSTORY_REGION: "eu1" } });
    await drainQueue({ client: sqs.client, queueUrl: pinned.queue.queueUrl, queueArn: pinned.queue.queueArn, handler: euDeliver.handler });

    const deliverLines = [...deliver.lines, ...refused.lines, ...euDeliver.lines].map((l) => JSON.stringify(l));
    expect(deliverLines.join("\n")).toContain('"reason":"rejected"');
    expect(deliverLines.join("\n")).toContain('"reason":"region_mismatch"');
    expect(deliverLines.join("\n")).toContain('"status":401');
    const bodies = [accepted, unresolved, invalid, rejected, unauthorised, eu].map((b) => b.payload);
    const signatures = [accepted, unresolved, invalid, rejected, unauthorised, eu].flatMap((b) => Object.values(b.headers).filter((v) => v.includes("v1")));
    expectClean([...s.lines, ...wrong.lines, ...pinned.lines, ...deliverLines], [...bodies, ...signatures]);
  });

  it("carry none of them in local mode either, through the local server and the delivery loop", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bridge-security-"));
    const lines: string[] = [];
    const log = createLogger((line) => lines.push(line));
    const store = openQueueStore({ dir });
    const config = loadConfig({ STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, FULLSTORY_API_KEY: KEY, FULLSTORY_API_URL: fullstory.url });
    const server = createLocalServer({ handler: createIngestHandler(() => ({ config, queue: store, secrets: createSecretsReader(config, { get: async () => "" }), log })), maxBodyBytes: config.maxBodyBytes, log });
    const { port } = await listen(server, "127.0.0.1", 0);
    const client = createFullstoryClient(TEST_CLIENT_TIMEOUTS);
    const loop = startDeliveryLoop({
      store,
      deps: { config, logger: log, fullstory: client, getApiKey: apiKeyGetter(config, createParameterStore({ ttlMs: 1000 })) },
      pollMs: 20,
      log,
    });
    try {
      const ok = signedStripe({ email: EMAIL, name: NAME, metadata: { fullstory_uid: "sec-local" } });
      const post = (payload: string, headers: Record<string, string>) => fetch(`http://127.0.0.1:${port}/webhooks/stripe`, { method: "POST", headers, body: payload });
      expect((await post(ok.payload, ok.headers)).status).toBe(202);
      expect((await post(ok.payload.replace("sec-local", "sec-other"), ok.headers)).status).toBe(401);
      for (let i = 0; i < 100 && !fullstory.users.has("sec-local"); i++) await new Promise((r) => setTimeout(r, 50));
      expect(fullstory.users.get("sec-local")?.display_name).toBe(NAME);
      expectClean(lines, [ok.payload, ok.headers["stripe-signature"]]);
    } finally {
      await loop.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await client.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("data residency", () => {
  it("never sends with a key of another data center: no request and no connection reach Fullstory, deployed or local", async () => {
    const eu = await startFullstoryFake({ keys: [KEY] });
    try {
      const s = await stage();
      const event = signedStandard({ uid: "sec-residency", properties: { plan: "pro" } });
      expect((await s.post("standard", event.payload, event.headers)).status).toBe(202);
      const param = `/fullstory-bridge/security-${n}/residency-key`;
      ssm.set(param, KEY);
      const deliver = deliverContainer({ sqs, dynamo, stateTable: STATE_TABLE, ssm, fullstory: eu, queue: s.queue, env: { FULLSTORY_API_KEY_PARAMETER: param, FULLSTORY_REGION: "eu1" } });
      await drainQueue({ client: sqs.client, queueUrl: s.queue.queueUrl, queueArn: s.queue.queueArn, handler: deliver.handler });
      expect(deliver.lines.map((l) => l.reason)).toContain("region_mismatch");

      const dir = mkdtempSync(path.join(tmpdir(), "bridge-residency-"));
      const store = openQueueStore({ dir });
      const config = loadConfig({ FULLSTORY_API_KEY: KEY, FULLSTORY_API_URL: eu.url, FULLSTORY_REGION: "eu1" });
      await store.send(queueEntry({ v: 3, source: "standard", event_id: "msg_residency", event_type: "upsert", occurred_at: new Date().toISOString(), received_at: new Date().toISOString(), uid: "sec-residency-local", upsert: { properties: {} }, raw: "{}" }));
      const client = createFullstoryClient(TEST_CLIENT_TIMEOUTS);
      const loop = startDeliveryLoop({ store, deps: { config, logger: createLogger(() => {}), fullstory: client, getApiKey: async () => KEY }, pollMs: 10, log: createLogger(() => {}) });
      for (let i = 0; i < 100 && store.listDeadLetters().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await loop.stop();
      await client.close();
      expect(store.listDeadLetters().map((l) => l.failure.reason)).toEqual(["region_mismatch"]);
      store.close();
      rmSync(dir, { recursive: true, force: true });

      expect(eu.requests).toHaveLength(0);
      expect(eu.connections).toBe(0);
    } finally {
      await eu.stop();
    }
  });
});
