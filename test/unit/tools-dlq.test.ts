import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import type { QueueMessage } from "../../functions/message";
import { planRedrive, viewOf } from "../../tools/dead-letters";
import { failureOf, queueRegion, stageQueues } from "../../tools/dlq-sqs";
import { renormalise } from "../../tools/renormalise";
import { sampleEvent } from "../../tools/sample-events";

const NOW = 1_767_225_600;

function queued(source: "stripe" | "clerk" | "standard", raw: object, eventId: string, uid: string | null): QueueMessage {
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

  it("keeps an unresolved letter parked unless asked to re-normalise", () => {
    expect(planRedrive(JSON.stringify(unresolved), { renormalise: false, config: loadConfig({}) })).toMatchObject({
      kind: "keep",
      why: expect.stringMatching(/--renormalise/),
    });
  });

  it("re-normalises with today's uid keys into the resolved uid's group", () => {
    const plan = planRedrive(JSON.stringify(unresolved), { renormalise: true, config: loadConfig({ STRIPE_UID_METADATA_KEYS: "signup_source" }) });
    expect(plan).toMatchObject({ kind: "send", groupId: "website" });
    if (plan.kind === "send") expect(JSON.parse(plan.body)).toMatchObject({ event_id: "evt_u", upsert: { uid: "website" }, raw: unresolved.raw });
  });

  it("says so when today's settings still cannot resolve the uid", () => {
    expect(planRedrive(JSON.stringify(unresolved), { renormalise: true, config: loadConfig({}) })).toMatchObject({ kind: "keep" });
  });

  it("keeps a letter parked when today's mapping would build an upsert Fullstory refuses", () => {
    const event = sampleEvent("stripe", "invoice.paid", { now: NOW }) as { data: { object: Record<string, unknown> } };
    event.data.object.customer = `cus_${"x".repeat(9_000)}`;
    const letter = queued("stripe", { ...event, id: "evt_long" }, "evt_long", null);
    const config = loadConfig({ STRIPE_UID_METADATA_KEYS: "signup_source" });
    expect(renormalise(letter, config)).toEqual({ kind: "invalid", issues: ["upsert.properties.stripe_customer_id"] });
    expect(planRedrive(JSON.stringify(letter), { renormalise: true, config })).toMatchObject({ kind: "keep", why: expect.stringMatching(/stripe_customer_id/) });
  });

  it("keeps a body that is not a bridge message", () => {
    expect(planRedrive("not json", { renormalise: true, config: loadConfig({}) })).toMatchObject({ kind: "keep", why: expect.stringMatching(/invalid_message/) });
    expect(viewOf("1", "not json", { reason: "invalid_message", attempts: 0, first_failed_at: "2026-01-01T00:00:00.000Z" })).toMatchObject({
      event_id: null,
      reason: "invalid_message",
    });
  });

  it("re-normalises Standard Webhooks sources, whose event id the message kept from the signature headers", () => {
    const clerk = queued("clerk", sampleEvent("clerk", "user.created", { uid: "user_c", now: NOW }) as object, "msg_clerk", "user_c");
    expect(renormalise(clerk, loadConfig({}))).toMatchObject({ kind: "message", message: { event_id: "msg_clerk", upsert: { uid: "user_c" } } });
    expect(renormalise(clerk, loadConfig({ CLERK_UID_FIELD: "external_id" }))).toEqual({ kind: "unresolved" });
    const standard = queued("standard", sampleEvent("standard", "upsert", { uid: "user_s", now: NOW }) as object, "msg_std", "user_s");
    const rebuilt = renormalise(standard, loadConfig({}));
    expect(rebuilt).toMatchObject({ kind: "message", groupId: "user_s", message: { event_id: "msg_std", upsert: { uid: "user_s" } } });
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
