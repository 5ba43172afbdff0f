import { describe, expect, it } from "vitest";
import { deliverBatch, type DeliverDeps, type InboundMessage } from "../../functions/deliver-core";
import { loadConfig } from "../../functions/config";
import { BridgeError, ErrorCode } from "../../functions/errors";
import type { SendResult } from "../../functions/fullstory/client";
import type { FullstoryRequest } from "../../functions/fullstory/request";
import { createLogger } from "../../functions/log";
import type { QueueMessage } from "../../functions/message";
import type { Upsert } from "../../functions/upsert";
import type { DeadLetter } from "../../functions/queue/port";
import { stateKey, type ParkedLetter, type StateStore } from "../../functions/state/port";
import { inbound, queueMessage, upsertKey, upsertOf } from "../support/deliver-messages";

interface Harness {
  deps: DeliverDeps;
  sent: FullstoryRequest[];
  letters: DeadLetter[];
  lines: Record<string, unknown>[];
  waits: number[];
  keyCalls: boolean[];
}

/** Deps over scripted Fullstory answers, an in-memory dead-letter list and a fake clock. */
function harness(
  answer: (req: FullstoryRequest, n: number) => SendResult | Promise<SendResult>,
  over: Partial<DeliverDeps> = {},
  budgetMs = 60_000,
): Harness {
  const h: Harness = { sent: [], letters: [], lines: [], waits: [], keyCalls: [], deps: undefined as unknown as DeliverDeps };
  let clock = 0;
  h.deps = {
    config: loadConfig({}),
    getApiKey: async (force) => {
      h.keyCalls.push(Boolean(force));
      return "na1.key-one";
    },
    fullstory: { send: async (req) => (h.sent.push(req), answer(req, h.sent.length)) },
    queue: { send: async () => {}, deadLetter: async (l) => void h.letters.push(l) },
    logger: createLogger((line) => h.lines.push(JSON.parse(line) as Record<string, unknown>)),
    remainingMs: () => budgetMs - clock,
    sleep: async (ms) => {
      h.waits.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...over,
  };
  return h;
}

const ok: SendResult = { kind: "ok", id: "1" };
const uidOf = (req: FullstoryRequest) => (JSON.parse(req.body) as { uid: string }).uid;

describe("deliverBatch", () => {
  it("delivers every message and reports none failed", async () => {
    const h = harness(() => ok);
    const msgs = [inbound(queueMessage("a")), inbound(queueMessage("b"))];
    expect(await deliverBatch(msgs, h.deps)).toEqual({ failedIds: [], deferredIds: [] });
    expect(h.sent.map(uidOf).sort()).toEqual(["a", "b"]);
    expect(h.keyCalls).toEqual([false]);
  });

  it("sends the idempotency key derived from source, event id and uid", async () => {
    const h = harness(() => ok);
    const qm = queueMessage("a");
    await deliverBatch([inbound(qm)], h.deps);
    expect(h.sent[0]?.headers["idempotency-key"]).toBe(upsertKey(qm.source, qm.event_id, upsertOf(qm)));
  });

  it("dead-letters an unreadable message as invalid_message with its body verbatim", async () => {
    const h = harness(() => ok);
    const bad: InboundMessage = { id: "m1", body: '{"v":2, "oops"', groupId: "g", receiveCount: 1 };
    expect(await deliverBatch([bad], h.deps)).toEqual({ failedIds: [], deferredIds: [] });
    expect(h.sent).toHaveLength(0);
    expect(h.letters).toHaveLength(1);
    expect(h.letters[0]?.body).toBe(bad.body);
    expect(h.letters[0]?.failure.reason).toBe("invalid_message");
  });

  it("dead-letters a message without uid as uid_unresolved, sending nothing", async () => {
    const h = harness(() => ok);
    await deliverBatch([inbound(queueMessage(null))], h.deps);
    expect(h.sent).toHaveLength(0);
    expect(h.letters.map((l) => l.failure.reason)).toEqual(["uid_unresolved"]);
  });

  it("dead-letters on a key for another region and sends nothing", async () => {
    const h = harness(() => ok, { config: loadConfig({ FULLSTORY_REGION: "eu1" }) });
    await deliverBatch([inbound(queueMessage("a"))], h.deps);
    expect(h.sent).toHaveLength(0);
    expect(h.letters[0]?.failure).toMatchObject({ reason: "region_mismatch", attempts: 0 });
    expect(h.letters[0]?.failure.message).toMatch(/na1.*eu1/);
  });

  it("dead-letters a permanent 4xx as rejected with Fullstory's status, code and message", async () => {
    const h = harness(() => ({ kind: "permanent", status: 400, code: "invalid_argument", message: "bad property" }));
    expect(await deliverBatch([inbound(queueMessage("a"))], h.deps)).toEqual({ failedIds: [], deferredIds: [] });
    expect(h.letters[0]?.failure).toMatchObject({ reason: "rejected", status: 400, code: "invalid_argument", message: "bad property", attempts: 1 });
  });

  it("retries 5xx with jittered exponential backoff and then delivers", async () => {
    const h = harness((_, n) => (n <= 3 ? { kind: "retryable", status: 503, code: "server_error" } : ok));
    expect(await deliverBatch([inbound(queueMessage("a"))], h.deps)).toEqual({ failedIds: [], deferredIds: [] });
    expect(h.sent).toHaveLength(4);
    expect(h.waits).toEqual([100, 200, 400]);
  });

  it("waits the Retry-After of a 429, spread by up to half again", async () => {
    const h = harness((_, n) => (n === 1 ? { kind: "retryable", status: 429, retryAfterMs: 7_000, code: "too_many_requests" } : ok));
    await deliverBatch([inbound(queueMessage("a"))], h.deps);
    // random() is 0.5 in the harness: 7 000 + 0.5 × 3 500.
    expect(h.waits).toEqual([8_750]);
    expect(h.sent).toHaveLength(2);
  });

  it("waits at least a second after Retry-After: 0, so refused groups do not come straight back", async () => {
    const h = harness((_, n) => (n === 1 ? { kind: "retryable", status: 429, retryAfterMs: 0, code: "too_many_requests" } : ok), { random: () => 0 });
    await deliverBatch([inbound(queueMessage("a"))], h.deps);
    expect(h.waits).toEqual([1_000]);
  });

  it("retries a 409 (the same key still in progress at Fullstory) like any other retryable answer", async () => {
    const h = harness((_, n) => (n === 1 ? { kind: "retryable", status: 409, code: "conflict" } : ok));
    expect(await deliverBatch([inbound(queueMessage("a"))], h.deps)).toEqual({ failedIds: [], deferredIds: [] });
    expect(h.sent).toHaveLength(2);
    expect(h.letters).toEqual([]);
  });

  it("returns the message to the queue when Retry-After does not fit in the time left", async () => {
    const h = harness(() => ({ kind: "retryable", status: 429, retryAfterMs: 58_000, code: "too_many_requests" }));
    const m = inbound(queueMessage("a"));
    expect(await deliverBatch([m], h.deps)).toEqual({ failedIds: [m.id], deferredIds: [] });
    expect(h.sent).toHaveLength(1);
    expect(h.waits).toEqual([]);
    expect(h.letters).toEqual([]);
  });

  it("sends nothing once the invocation's time is up, and reports the message deferred, not failed", async () => {
    const h = harness(() => ok, {}, 0);
    const m = inbound(queueMessage("a"));
    expect(await deliverBatch([m], h.deps)).toEqual({ failedIds: [m.id], deferredIds: [m.id] });
    expect(h.sent).toHaveLength(0);
  });

  it("starts no request with less than the minimum attempt time left, and cuts each off at the time left", async () => {
    const timeouts: (number | undefined)[] = [];
    const fullstory = { send: async (_req: FullstoryRequest, o?: { timeoutMs?: number }) => (timeouts.push(o?.timeoutMs), { kind: "retryable", status: 503, code: "server_error" }) as SendResult };
    const tight = harness(() => ok, { fullstory }, 999);
    const m = inbound(queueMessage("a"));
    expect(await deliverBatch([m], tight.deps)).toEqual({ failedIds: [m.id], deferredIds: [m.id] });
    expect(timeouts).toEqual([]);

    const h = harness(() => ok, { fullstory }, 1_000);
    expect(await deliverBatch([inbound(queueMessage("a"))], h.deps)).toMatchObject({ deferredIds: [] });
    // One try with exactly the minimum left, given all of it as its timeout; no retry fits after it.
    expect(timeouts).toEqual([1_000]);
  });

  it("refreshes the key once after a 401 and resends with the new key", async () => {
    const h = harness((req) => (req.headers.authorization === "Basic na1.key-two" ? ok : { kind: "auth", status: 401 }));
    h.deps.getApiKey = async (force) => (h.keyCalls.push(Boolean(force)), force ? "na1.key-two" : "na1.key-one");
    expect(await deliverBatch([inbound(queueMessage("a"))], h.deps)).toEqual({ failedIds: [], deferredIds: [] });
    expect(h.keyCalls).toEqual([false, true]);
    expect(h.sent.map((r) => r.headers.authorization)).toEqual(["Basic na1.key-one", "Basic na1.key-two"]);
  });

  it("treats a 401 that survives the refresh as retryable, never as a dead letter", async () => {
    const h = harness(() => ({ kind: "auth", status: 401 }), {}, 8_000);
    const m = inbound(queueMessage("a"));
    expect(await deliverBatch([m], h.deps)).toEqual({ failedIds: [m.id], deferredIds: [] });
    expect(h.keyCalls).toEqual([false, true]);
    expect(h.letters).toEqual([]);
  });

  it("refreshes once for concurrent 401s of several groups", async () => {
    let current = "na1.key-one";
    const h = harness((req) => (req.headers.authorization === `Basic ${current}` && current === "na1.key-two" ? ok : { kind: "auth", status: 401 }));
    h.deps.getApiKey = async (force) => {
      h.keyCalls.push(Boolean(force));
      if (force) current = "na1.key-two";
      return current;
    };
    const msgs = ["a", "b", "c", "d"].map((u) => inbound(queueMessage(u)));
    expect(await deliverBatch(msgs, h.deps)).toEqual({ failedIds: [], deferredIds: [] });
    expect(h.keyCalls.filter(Boolean)).toHaveLength(1);
  });

  it("reports every message failed, unsent, when the key cannot be read", async () => {
    const h = harness(() => ok);
    h.deps.getApiKey = async () => {
      throw new BridgeError(ErrorCode.ParameterUnavailable, "throttled");
    };
    const msgs = [inbound(queueMessage("a")), inbound(queueMessage("b"))];
    expect((await deliverBatch(msgs, h.deps)).failedIds.sort()).toEqual(msgs.map((m) => m.id).sort());
    expect(h.sent).toHaveLength(0);
    expect(h.letters).toHaveLength(0);
  });

  it("fails the later messages of a group unsent after one fails, and keeps other groups going", async () => {
    const h = harness((req) => (uidOf(req) === "a" ? { kind: "retryable", status: 500, code: "server_error" } : ok), {}, 6_000);
    // One FIFO group holding several users' messages (as before a uid is resolved): no merging across them.
    const inGroup = (uid: string) => ({ ...inbound(queueMessage(uid)), groupId: "g" });
    const a1 = inGroup("a");
    const b1 = inbound(queueMessage("b"));
    const a2 = inGroup("a2");
    const a3 = inGroup("a3");
    expect(await deliverBatch([a1, b1, a2, a3], h.deps)).toEqual({ failedIds: [a1.id, a2.id, a3.id], deferredIds: [a2.id, a3.id] });
    // Only a1 was ever sent for group g (retried while time allowed); a2 and a3 stayed unsent.
    const sentInGroup = new Set(h.sent.filter((r) => uidOf(r).startsWith("a")).map(uidOf));
    expect(sentInGroup).toEqual(new Set(["a"]));
    expect(h.sent.map(uidOf)).toContain("b");
  });

  it("sends one group strictly in order while other groups run alongside", async () => {
    const events: string[] = [];
    const h = harness(async (req) => {
      const body = JSON.parse(req.body) as { uid: string };
      events.push(`start ${body.uid}`);
      await new Promise((r) => setTimeout(r, 5));
      events.push(`end ${body.uid}`);
      return ok;
    });
    const msgs = [1, 2, 3].flatMap((n) => ["a", "b"].map((group) => ({ ...inbound(queueMessage(`${group}${n}`)), groupId: group })));
    await deliverBatch(msgs, h.deps);
    const ofA = events.filter((e) => / a\d/.test(e));
    expect(ofA).toEqual(["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]);
    // b started before a finished: groups ran concurrently.
    expect(events.indexOf("start b1")).toBeLessThan(events.indexOf("end a1"));
  });

  it("sends consecutive messages of one user as one upsert that ends where sending them one by one would", async () => {
    const h = harness(() => ok);
    const first = queueMessage("merge", { properties: { plan: "basic", seats: 1 } });
    const second = queueMessage("merge", { properties: { plan: "pro" }, upsert: { display_name: "Ada", properties: { plan: "pro" } } });
    const msgs = [inbound(first), inbound(second)];
    expect(await deliverBatch(msgs, h.deps)).toEqual({ failedIds: [], deferredIds: [] });
    expect(h.sent).toHaveLength(1);
    expect(JSON.parse(h.sent[0]?.body ?? "")).toEqual({ uid: "merge", email: "merge@example.com", display_name: "Ada", properties: { plan: "pro", seats: 1 } });
    // The key is the last event's, over the merged body.
    expect(h.sent[0]?.headers["idempotency-key"]).toBe(upsertKey("standard", second.event_id, JSON.parse(h.sent[0]?.body ?? "") as Upsert));
    expect(h.lines.filter((l) => l.outcome === "delivered").map((l) => l.merged)).toEqual([2, 2]);
  });

  it("sends a merged upsert Fullstory refuses again message by message, and parks only the one at fault", async () => {
    const h = harness((req) => ((JSON.parse(req.body) as Upsert).properties.bad ? { kind: "permanent", status: 400, code: "invalid_argument" } : ok));
    const good = queueMessage("split", { properties: { plan: "pro" } });
    const bad = queueMessage("split", { properties: { bad: true } });
    const msgs = [inbound(good), inbound(bad)];
    expect(await deliverBatch(msgs, h.deps)).toEqual({ failedIds: [], deferredIds: [] });
    expect(h.sent.map((r) => Object.keys((JSON.parse(r.body) as Upsert).properties).sort())).toEqual([["bad", "plan"], ["plan"], ["bad"]]);
    expect(h.letters.map((l) => (JSON.parse(l.body) as QueueMessage).event_id)).toEqual([bad.event_id]);
  });

  it("bounds the groups in flight by the concurrency setting", async () => {
    let inFlight = 0;
    let peak = 0;
    const h = harness(
      async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        return ok;
      },
      { concurrency: 3 },
    );
    await deliverBatch(
      Array.from({ length: 10 }, (_, i) => inbound(queueMessage(`u${i}`))),
      h.deps,
    );
    expect(peak).toBe(3);
  });

  it("reports a message failed when dead-lettering it fails", async () => {
    const h = harness(() => ({ kind: "permanent", status: 422, code: "invalid", message: "no" }));
    h.deps.queue = {
      send: async () => {},
      deadLetter: async () => {
        throw new BridgeError(ErrorCode.QueueUnavailable, "down");
      },
    };
    const m = inbound(queueMessage("a"));
    expect(await deliverBatch([m], h.deps)).toEqual({ failedIds: [m.id], deferredIds: [] });
  });

  it("logs one line per message without the key, the email or the body", async () => {
    const h = harness((req) => (uidOf(req) === "b" ? { kind: "permanent", status: 400, code: "x", message: "m" } : ok));
    const qa = queueMessage("a");
    await deliverBatch([inbound(qa), inbound(queueMessage("b")), { id: "z", body: "nope", groupId: "z", receiveCount: 2 }], h.deps);
    expect(h.lines).toHaveLength(3);
    expect(h.lines.map((l) => l.outcome).sort()).toEqual(["dead_lettered", "dead_lettered", "delivered"]);
    expect(h.lines.find((l) => l.outcome === "delivered")).toMatchObject({ event_id: qa.event_id, source: "standard", attempts: 1, fullstory_id: "1" });
    const text = JSON.stringify(h.lines);
    expect(text).not.toContain("key-one");
    expect(text).not.toContain("@example.com");
    expect(text).not.toContain("nope");
  });
});

/**
 * A state store in memory whose every call takes `delayMs`, writing "start …" and "end …" to `log`
 * (shared with the test, so the order of calls and of other work can be read off it).
 */
function memoryState(log: string[], delayMs = 5) {
  const uids = new Map<string, string>();
  const watermarks = new Map<string, number>();
  const letters: ParkedLetter[] = [];
  const call = async <T>(name: string, work: () => T): Promise<T> => {
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, delayMs));
    log.push(`end ${name}`);
    return work();
  };
  const store: StateStore = {
    read: (req) =>
      call("read", () => ({
        uids: new Map(req.subjects.flatMap((s) => (uids.has(stateKey(s.source, s.subject)) ? [[stateKey(s.source, s.subject), uids.get(stateKey(s.source, s.subject)) as string]] : []))),
        watermarks: new Map(req.orders.flatMap((o) => (watermarks.has(stateKey(o.source, o.key)) ? [[stateKey(o.source, o.key), watermarks.get(stateKey(o.source, o.key)) as number]] : []))),
        sent: new Set<string>(),
      })),
    learn: (source, subject, uid) =>
      call(`learn ${subject} ${uid}`, () => {
        const previous = uids.get(stateKey(source, subject));
        uids.set(stateKey(source, subject), uid);
        return previous === uid ? { changed: false } : previous === undefined ? { changed: true } : { changed: true, previous };
      }),
    advance: (source, key, at) => call(`advance ${key}`, () => void watermarks.set(stateKey(source, key), Math.max(at, watermarks.get(stateKey(source, key)) ?? at))),
    markSent: () => call("markSent", () => undefined),
    park: (letter) => call("park", () => void letters.push({ ...letter, id: `parked-${letters.length}` })),
    waiting: (source, subject) => call(`waiting ${subject}`, () => letters.filter((l) => l.source === source && l.subject === subject)),
    unpark: (letter) => call("unpark", () => void letters.splice(letters.indexOf(letter), 1)),
    listParked: async () => [...letters],
  };
  return { store, letters };
}

describe("deliverBatch with the state store", () => {
  it("learns the accounts a batch names at once, one account's uids in queue order, before sending", async () => {
    const log: string[] = [];
    const h = harness((req) => (log.push(`send ${uidOf(req)}`), ok));
    h.deps.state = memoryState(log).store;
    const messages = [
      queueMessage("u1", { subject: "cus_1" }),
      queueMessage("u2", { subject: "cus_2" }),
      queueMessage("u3", { subject: "cus_1" }),
      // Named by its account only: the uid the batch learned last for it.
      queueMessage(null, { subject: "cus_1" }),
    ];
    await deliverBatch(messages.map((m) => inbound(m)), h.deps);
    const learning = log.filter((l) => l.includes("learn"));
    expect(learning.slice(0, 2).sort()).toEqual(["start learn cus_1 u1", "start learn cus_2 u2"]);
    expect(log.indexOf("start learn cus_1 u3")).toBeGreaterThan(log.indexOf("end learn cus_1 u1"));
    const firstSend = log.findIndex((l) => l.startsWith("send"));
    expect(firstSend).toBeGreaterThan(log.indexOf("end learn cus_1 u3"));
    expect(h.sent.map(uidOf).sort()).toEqual(["u1", "u2", "u3", "u3"]);
  });

  it("puts the letters waiting on a newly learned account back on the queue while the batch goes on, and answers once they are", async () => {
    const log: string[] = [];
    const h = harness((req) => (log.push(`send ${uidOf(req)}`), ok));
    const state = memoryState(log);
    h.deps.state = state.store;
    const waiting = queueMessage(null, { subject: "cus_9" });
    state.letters.push({ id: "parked-0", source: "standard", subject: "cus_9", body: JSON.stringify(waiting), groupId: "cus_9", deduplicationId: "d", failure: { reason: "uid_unresolved", attempts: 0, first_failed_at: "2025-06-01T12:00:00.000Z" } });
    h.deps.queue = { send: async (entry) => void log.push(`queue ${(JSON.parse(entry.body) as QueueMessage).event_id}`), deadLetter: async () => {} };
    await deliverBatch([inbound(queueMessage("u9", { subject: "cus_9" }))], h.deps);
    log.push("answered");
    expect(log.indexOf("send u9")).toBeLessThan(log.indexOf("end waiting cus_9"));
    expect(log.indexOf(`queue ${waiting.event_id}`)).toBeGreaterThan(-1);
    expect(log.indexOf("end unpark")).toBeLessThan(log.indexOf("answered"));
    expect(state.letters).toEqual([]);
  });

  it("reads nothing from the state store for a batch that names no account, order or event", async () => {
    const log: string[] = [];
    const h = harness(() => ok);
    h.deps.state = memoryState(log).store;
    expect(await deliverBatch([inbound(queueMessage("a")), inbound(queueMessage("b"))], h.deps)).toEqual({ failedIds: [], deferredIds: [] });
    expect(log).toEqual([]);
    expect(h.sent).toHaveLength(2);
  });
});
