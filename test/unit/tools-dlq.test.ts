import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { messageGroupId, type QueueMessageV1 } from "../../functions/message";
import { rebuildMessage } from "../../functions/message-build";
import { planRedrive, viewOf } from "../../tools/dead-letters";
import { failureOf, queueRegion, stageQueues } from "../../tools/dlq-sqs";
import { sampleEvent } from "../../tools/sample-events";

const NOW = 1_767_225_600;

/** A dead letter as the first release parked it (version 1): redrive still reads these. */
function queued(source: "stripe" | "clerk" | "standard", raw: object, eventId: string, uid: string | null): QueueMessageV1 {
  return {
    v: 1,
    source,
    event_id: eventId,
    event_type: source === "standard" ? "upsert" : "x",
    occurred_at: new Date(NOW * 1000).toISOString(),
    received_at: new Date(NOW * 1000).toISOString(),
    upsert: uid === null ? null : { uid, properties: {} },
    raw: JSON.stringify(raw),
  };
}

describe("dead-letter redrive plans", () => {
  const unresolved = queued("stripe", { ...sampleEvent("stripe", "invoice.paid", { now: NOW }), id: "evt_u" }, "evt_u", null);

  it("sends an unresolved letter back as it was, grouped by its customer, for deliver to look up again", () => {
    const plan = planRedrive(JSON.stringify(unresolved), { renormalise: false, config: loadConfig({}) });
    const customer = (unresolved.raw.match(/"customer":"(cus_[^"]+)"/) ?? [])[1] as string;
    expect(plan).toEqual({ kind: "send", body: JSON.stringify(unresolved), groupId: messageGroupId(null, "stripe", customer) });
  });

  it("re-normalises with today's uid keys into the resolved uid's group, as a current-version message", () => {
    const plan = planRedrive(JSON.stringify(unresolved), { renormalise: true, config: loadConfig({ STRIPE_UID_METADATA_KEYS: "signup_source" }) });
    expect(plan).toMatchObject({ kind: "send", groupId: "website" });
    if (plan.kind === "send") expect(JSON.parse(plan.body)).toMatchObject({ v: 3, event_id: "evt_u", uid: "website", raw: unresolved.raw });
  });

  it("re-normalises into the customer's group when today's settings still find no uid in the event", () => {
    const plan = planRedrive(JSON.stringify(unresolved), { renormalise: true, config: loadConfig({}) });
    expect(plan).toMatchObject({ kind: "send" });
    if (plan.kind === "send") expect(JSON.parse(plan.body)).toMatchObject({ v: 3, uid: null, subject: expect.stringMatching(/^cus_/) });
  });

  it("keeps a letter parked when today's mapping would build an upsert Fullstory refuses", () => {
    const event = sampleEvent("stripe", "invoice.paid", { now: NOW }) as { data: { object: Record<string, unknown> } };
    event.data.object.customer = `cus_${"x".repeat(9_000)}`;
    const letter = queued("stripe", { ...event, id: "evt_long" }, "evt_long", null);
    const config = loadConfig({ STRIPE_UID_METADATA_KEYS: "signup_source" });
    expect(rebuildMessage(letter, config)).toEqual({ kind: "invalid", issues: ["upsert.properties.stripe_customer_id"] });
    expect(planRedrive(JSON.stringify(letter), { renormalise: true, config })).toMatchObject({ kind: "keep", why: expect.stringMatching(/stripe_customer_id/) });
  });

  it("keeps a body that is not a bridge message", () => {
    expect(planRedrive("not json", { renormalise: true, config: loadConfig({}) })).toMatchObject({ kind: "keep", why: expect.stringMatching(/invalid_message/) });
    expect(viewOf("1", "not json", { reason: "invalid_message", attempts: 0, first_failed_at: "2026-01-01T00:00:00.000Z" })).toMatchObject({
      event_id: null,
      reason: "invalid_message",
    });
  });

  it("shows the event of a letter of every message version: 1, 2 (parked before lifecycle events) and 3", () => {
    const failure = { reason: "rejected", attempts: 1, first_failed_at: "2026-01-01T00:00:00.000Z" } as const;
    const envelope = { source: "standard", event_type: "upsert", occurred_at: "2026-01-01T00:00:00.000Z", received_at: "2026-01-01T00:00:00.000Z", raw: "{}" };
    const v1 = { v: 1, ...envelope, event_id: "evt_v1", upsert: { uid: "u1", properties: {} } };
    const v2 = { v: 2, ...envelope, event_id: "evt_v2", uid: "u2", upsert: { properties: {} } };
    const v3 = { ...v2, v: 3, event_id: "evt_v3", uid: "u3" };
    expect([v1, v2, v3].map((m) => viewOf("1", JSON.stringify(m), failure)).map((v) => [v.event_id, v.uid])).toEqual([
      ["evt_v1", "u1"],
      ["evt_v2", "u2"],
      ["evt_v3", "u3"],
    ]);
  });

  it("re-normalises Standard Webhooks sources, whose event id the message kept from the signature headers", () => {
    const clerk = queued("clerk", sampleEvent("clerk", "user.created", { uid: "user_c", now: NOW }) as object, "msg_clerk", "user_c");
    expect(rebuildMessage(clerk, loadConfig({}))).toMatchObject({ kind: "message", message: { event_id: "msg_clerk", uid: "user_c" } });
    // Under external_id the sample names none: the message waits on Clerk's user id instead.
    expect(rebuildMessage(clerk, loadConfig({ CLERK_UID_FIELD: "external_id" }))).toMatchObject({ kind: "message", message: { uid: null, subject: "user_c" } });
    const standard = queued("standard", sampleEvent("standard", "upsert", { uid: "user_s", now: NOW }) as object, "msg_std", "user_s");
    const plan = planRedrive(JSON.stringify(standard), { renormalise: true, config: loadConfig({}) });
    expect(plan).toMatchObject({ kind: "send", groupId: "user_s" });
    if (plan.kind === "send") expect(JSON.parse(plan.body)).toMatchObject({ v: 3, event_id: "msg_std", uid: "user_s" });
  });
});

describe("SQS dead letters", () => {
  it("reads the failure from message attributes", () => {
    const failure = failureOf({
      MessageAttributes: {
        reason: { DataType: "String", StringValue: "rejected" },
        status: { DataType: "Number", StringValue: "422" },
        attempts: { DataType: "Number", StringValue: "2" },
        first_failed_at: { DataType: "String", StringValue: "2026-01-01T00:00:00.000Z" },
      },
    });
    expect(failure).toEqual({ reason: "rejected", status: 422, attempts: 2, first_failed_at: "2026-01-01T00:00:00.000Z" });
  });

  it("reads a message without failure attributes as retries_exhausted, with the receive count and send time", () => {
    expect(failureOf({ Attributes: { ApproximateReceiveCount: "6", SentTimestamp: String(NOW * 1000) } })).toEqual({
      reason: "retries_exhausted",
      attempts: 6,
      first_failed_at: new Date(NOW * 1000).toISOString(),
    });
  });

  it("takes the region from an AWS queue URL", () => {
    expect(queueRegion("https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo")).toBe("eu-west-1");
    expect(queueRegion("http://127.0.0.1:4566/000000000000/q.fifo")).toBeUndefined();
  });
});

describe("stage outputs", () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));
  const outputs = (content: object) => {
    dir = mkdtempSync(path.join(tmpdir(), "sst-outputs-"));
    const file = path.join(dir, "outputs.json");
    writeFileSync(file, JSON.stringify(content));
    return file;
  };
  const urls = { queueUrl: "https://sqs.us-east-1.amazonaws.com/1/q.fifo", deadLetterQueueUrl: "https://sqs.us-east-1.amazonaws.com/1/d.fifo" };

  it("reads the queue URLs of the stage asked for", () => {
    expect(stageQueues("prod", outputs({ stage: "prod", url: "https://x", ...urls }))).toEqual(urls);
  });

  it("refuses outputs written by another stage's deploy, or that do not say their stage", () => {
    expect(() => stageQueues("prod", outputs({ stage: "dev", ...urls }))).toThrow(/stage "dev", not "prod"/);
    expect(() => stageQueues("prod", outputs(urls))).toThrow(/lacks stage/);
    expect(() => stageQueues("prod", path.join(tmpdir(), "no-such-outputs.json"))).toThrow(/not found/);
  });
});
