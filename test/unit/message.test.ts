import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { deduplicationId, idempotencyKey, messageGroupId } from "../../functions/message";
import { readQueueMessage } from "../../functions/message-build";
import { stripeEvent, subscriptionObject } from "../support/stripe-events";

describe("queue message ids", () => {
  it("groups by the uid itself when SQS accepts it, so order is kept per Fullstory user", () => {
    expect(messageGroupId("user_123", "stripe", "evt_1")).toBe("user_123");
  });

  it("hashes a uid longer than 128 characters or outside SQS's character set", () => {
    const long = "u".repeat(129);
    expect(messageGroupId(long, "stripe", "evt_1")).toMatch(/^[0-9a-f]{64}$/);
    expect(messageGroupId("ünïcode user", "stripe", "evt_1")).toMatch(/^[0-9a-f]{64}$/);
    expect(messageGroupId(long, "stripe", "evt_2")).toBe(messageGroupId(long, "stripe", "evt_1"));
  });

  it("keeps unresolved events in groups of their own", () => {
    expect(messageGroupId(null, "stripe", "evt_1")).not.toBe(messageGroupId(null, "stripe", "evt_2"));
  });

  it("derives the deduplication id from source, event id and uid", () => {
    const id = deduplicationId("stripe", "evt_1", "u1");
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(deduplicationId("stripe", "evt_1", "u1")).toBe(id);
    expect(deduplicationId("clerk", "evt_1", "u1")).not.toBe(id);
    expect(deduplicationId("stripe", "evt_2", "u1")).not.toBe(id);
    expect(deduplicationId("stripe", "evt_1", "u2")).not.toBe(id);
  });

  it("derives a stable version-5-layout UUID as the Idempotency-Key", () => {
    const key = idempotencyKey("stripe", "evt_1", "u1", "{}");
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idempotencyKey("stripe", "evt_1", "u1", "{}")).toBe(key);
    expect(idempotencyKey("stripe", "evt_1", "u2", "{}")).not.toBe(key);
    expect(idempotencyKey("stripe", "evt_2", "u1", "{}")).not.toBe(key);
    expect(idempotencyKey("stripe", "evt_1", "u1", '{"a":1}')).not.toBe(key);
  });
});

describe("reading version-1 messages (dead letters parked before an upgrade)", () => {
  const config = loadConfig({});
  const raw = JSON.stringify(stripeEvent("customer.subscription.updated", subscriptionObject({ metadata: {} }), { id: "evt_v1" }));
  const v1 = { v: 1, source: "stripe", event_id: "evt_v1", event_type: "customer.subscription.updated", occurred_at: "2024-02-01T00:00:00.000Z", received_at: "2024-02-01T00:00:01.000Z", raw };

  it("keeps a version-1 upsert and its uid, and adds what later versions carry from the raw event (no lifecycle events)", () => {
    const read = readQueueMessage(JSON.stringify({ ...v1, upsert: { uid: "user_v1", properties: { plan: "kept" } } }), config);
    expect(read).toMatchObject({
      v: 3,
      uid: "user_v1",
      subject: "cus_Test123",
      order: { key: "subscription:cus_Test123", at: Date.parse("2024-02-01T00:00:00.000Z") },
      upsert: { properties: { plan: "kept" } },
    });
  });

  it("maps a version-1 letter whose uid was not found again from its raw event, for the directory to resolve", () => {
    const read = readQueueMessage(JSON.stringify({ ...v1, upsert: null }), config);
    expect(read).toMatchObject({ v: 3, uid: null, subject: "cus_Test123", upsert: { properties: { subscription_status: "active" } } });
  });

  it("reads neither junk nor a message of an unknown version", () => {
    expect(readQueueMessage("not json", config)).toBeUndefined();
    expect(readQueueMessage(JSON.stringify({ ...v1, v: 4, uid: null, upsert: null }), config)).toBeUndefined();
  });
});

describe("reading version-2 messages (queued before lifecycle events)", () => {
  const config = loadConfig({ FULLSTORY_EVENTS: "true" });
  const raw = JSON.stringify(stripeEvent("customer.subscription.created", subscriptionObject({ metadata: {} }), { id: "evt_v2" }));
  const v2 = {
    v: 2,
    source: "stripe",
    event_id: "evt_v2",
    event_type: "customer.subscription.created",
    occurred_at: "2024-02-01T00:00:00.000Z",
    received_at: "2024-02-01T00:00:01.000Z",
    uid: "user_v2",
    subject: "cus_Test123",
    upsert: { properties: { plan: "kept" } },
    raw,
  };

  it("reads it as it was queued, without events, even with events on today", () => {
    const read = readQueueMessage(JSON.stringify(v2), config);
    expect(read).toMatchObject({ v: 3, uid: "user_v2", upsert: { properties: { plan: "kept" } } });
    expect(read?.events).toBeUndefined();
  });

  it("ignores events in a version-2 body, which version 2 never carried", () => {
    const events = [{ name: "Trial Started", timestamp: "2024-02-01T00:00:00.000Z", properties: {}, schema: { properties: {} } }];
    expect(readQueueMessage(JSON.stringify({ ...v2, events }), config)?.events).toBeUndefined();
  });
});
