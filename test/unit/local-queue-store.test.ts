import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isBridgeError } from "../../functions/errors";
import { DeadLetterReason, queueEntry, type QueueMessage } from "../../functions/message";
import { STORE_DEFAULTS, backoffMs, openQueueStore, type QueueStore } from "../../local/queue-store";

let dir: string;
let clock: number;
let store: QueueStore;
const open = () => openQueueStore({ dir, now: () => clock, visibilityMs: 60_000 });

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "bridge-store-"));
  clock = Date.parse("2026-01-01T00:00:00Z");
  store = open();
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function message(eventId: string, uid: string | null = "user_1"): QueueMessage {
  return {
    v: 3,
    source: "stripe",
    event_id: eventId,
    event_type: "customer.updated",
    occurred_at: "2026-01-01T00:00:00.000Z",
    received_at: "2026-01-01T00:00:00.000Z",
    uid,
    upsert: { properties: { n: Number(eventId.replace(/\D/g, "")) } },
    raw: "{}",
  };
}

const eventIds = (batch: { body: string }[]) => batch.map((m) => (JSON.parse(m.body) as QueueMessage).event_id);

describe("local queue store", () => {
  it("hands out only the head of each FIFO group, in arrival order", async () => {
    await store.send(queueEntry(message("evt_1", "a")));
    await store.send(queueEntry(message("evt_2", "a")));
    await store.send(queueEntry(message("evt_3", "b")));
    expect(eventIds(store.receive())).toEqual(["evt_1", "evt_3"]);
  });

  it("does not hand out a group's next message while its head is in flight", async () => {
    await store.send(queueEntry(message("evt_1", "a")));
    await store.send(queueEntry(message("evt_2", "a")));
    const [head] = store.receive();
    expect(store.receive()).toEqual([]);
    store.ack(head!.id);
    expect(eventIds(store.receive())).toEqual(["evt_2"]);
  });

  it("holds a group back while its head waits for a retry, and keeps the order after it", async () => {
    await store.send(queueEntry(message("evt_1", "a")));
    await store.send(queueEntry(message("evt_2", "a")));
    store.fail(store.receive()[0]!.id);
    expect(store.receive()).toEqual([]);
    clock += backoffMs(1);
    const [retry] = store.receive();
    expect(eventIds([retry!])).toEqual(["evt_1"]);
    expect(retry!.receiveCount).toBe(2);
  });

  it("returns at most ten messages per receive", async () => {
    for (let i = 0; i < 15; i++) await store.send(queueEntry(message(`evt_${i}`, `user_${i}`)));
    expect(store.receive(50)).toHaveLength(10);
  });

  it("acknowledges a duplicate within five minutes without storing it twice", async () => {
    await store.send(queueEntry(message("evt_1")));
    await store.send(queueEntry(message("evt_1")));
    expect(store.depth()).toBe(1);
    store.ack(store.receive()[0]!.id);
    clock += STORE_DEFAULTS.dedupWindowMs - 1;
    await store.send(queueEntry(message("evt_1")));
    expect(store.depth()).toBe(0);
  });

  it("takes the same event again once the deduplication window has passed", async () => {
    await store.send(queueEntry(message("evt_1")));
    clock += STORE_DEFAULTS.dedupWindowMs;
    await store.send(queueEntry(message("evt_1")));
    expect(store.depth()).toBe(2);
  });

  it("backs off exponentially and caps the wait at thirty seconds", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(backoffMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it("keeps retrying for fifteen minutes after the first failure, then parks the message as retries_exhausted", async () => {
    await store.send(queueEntry(message("evt_1")));
    const firstFailure = clock;
    let failures = 0;
    for (;;) {
      const [m] = store.receive();
      if (!m) break;
      store.fail(m.id);
      failures++;
      clock += 30_000;
    }
    const [letter] = store.listDeadLetters();
    expect(store.depth()).toBe(0);
    expect(letter!.failure).toEqual({
      reason: DeadLetterReason.RetriesExhausted,
      attempts: failures,
      first_failed_at: new Date(firstFailure).toISOString(),
    });
    // Parked on the failure at or after the fifteen-minute mark, not before it.
    expect((failures - 1) * 30_000).toBeGreaterThanOrEqual(STORE_DEFAULTS.retryWindowMs);
    expect((failures - 2) * 30_000).toBeLessThan(STORE_DEFAULTS.retryWindowMs);
  });

  it("makes messages that were in flight deliverable again when a consumer reopens the store", async () => {
    await store.send(queueEntry(message("evt_1")));
    expect(store.receive()).toHaveLength(1);
    store.close();
    store = open();
    expect(store.receive()).toEqual([]);
    expect(store.releaseLeases()).toBe(1);
    expect(eventIds(store.receive())).toEqual(["evt_1"]);
  });

  it("keeps accepted messages and dead letters across a reopen", async () => {
    await store.send(queueEntry(message("evt_1")));
    await store.deadLetter({ body: "x", groupId: "g", deduplicationId: "d", failure: { reason: "rejected", status: 400, attempts: 1, first_failed_at: new Date(clock).toISOString() } });
    store.close();
    store = open();
    expect(store.depth()).toBe(1);
    expect(store.listDeadLetters()).toMatchObject([{ body: "x", groupId: "g", failure: { reason: "rejected", status: 400 } }]);
  });

  it("redrives a dead letter under a fresh deduplication id, so it is not dropped as a duplicate", async () => {
    await store.send(queueEntry(message("evt_1")));
    const [m] = store.receive();
    await store.deadLetter({
      body: m!.body,
      groupId: m!.groupId,
      deduplicationId: "original",
      failure: { reason: "rejected", attempts: 1, first_failed_at: new Date(clock).toISOString() },
    });
    store.ack(m!.id);
    const [letter] = store.listDeadLetters();
    expect(store.redrive(letter!.id)).toBe(true);
    expect(store.listDeadLetters()).toEqual([]);
    expect(eventIds(store.receive())).toEqual(["evt_1"]);
    expect(store.redrive(letter!.id)).toBe(false);
  });

  it("redrives a replacement body into the replacement's group", async () => {
    await store.deadLetter({ body: "old", groupId: "unresolved", deduplicationId: "d", failure: { reason: "uid_unresolved", attempts: 0, first_failed_at: new Date(clock).toISOString() } });
    const [letter] = store.listDeadLetters();
    store.redrive(letter!.id, { body: "new", groupId: "user_9" });
    expect(store.receive()).toMatchObject([{ body: "new", groupId: "user_9" }]);
  });

  it("parks a received message and takes it off the queue in one commit, once however often it is parked", async () => {
    await store.send(queueEntry(message("evt_1")));
    const [m] = store.receive();
    const letter = { body: m!.body, groupId: m!.groupId, deduplicationId: "d", messageId: m!.id, failure: { reason: "rejected" as const, attempts: 1, first_failed_at: new Date(clock).toISOString() } };
    await store.deadLetter(letter);
    // Nothing left to acknowledge: the message went with the dead letter.
    expect(store.depth()).toBe(0);
    await store.deadLetter(letter);
    expect(store.listDeadLetters()).toHaveLength(1);
  });

  it("releases a received message unattempted: deliverable again at once, with no failure counted", async () => {
    await store.send(queueEntry(message("evt_1")));
    const [m] = store.receive();
    store.release(m!.id);
    const [again] = store.receive();
    expect(again).toMatchObject({ id: m!.id, receiveCount: 2 });
    // A later failure is the first one: it waits the first backoff, not the second.
    store.fail(again!.id);
    clock += backoffMs(1);
    expect(store.receive()).toHaveLength(1);
  });

  it("purges every dead letter and says how many", async () => {
    const failure = { reason: "rejected" as const, attempts: 1, first_failed_at: new Date(clock).toISOString() };
    await store.deadLetter({ body: "a", groupId: "g", deduplicationId: "1", failure });
    await store.deadLetter({ body: "b", groupId: "g", deduplicationId: "2", failure });
    expect(store.purgeDeadLetters()).toBe(2);
    expect(store.listDeadLetters()).toEqual([]);
  });

  it("reports a store it cannot write as queue_unavailable", async () => {
    store.close();
    const err = await store.send(queueEntry(message("evt_1"))).catch((e: unknown) => e);
    expect(isBridgeError(err, "queue_unavailable")).toBe(true);
    store = open();
  });
});
