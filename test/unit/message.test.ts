import { describe, expect, it } from "vitest";
import { deduplicationId, idempotencyKey, messageGroupId } from "../../functions/message";

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
