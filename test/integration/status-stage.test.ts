import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createParameterStore } from "../../functions/parameters";
import { createSqsQueue } from "../../functions/queue/sqs";
import { createDynamoStateStore } from "../../functions/state/dynamo";
import { queueEntry } from "../../functions/message";
import { stageSettings } from "../../stacks/settings";
import type { CloudWatchReader } from "../../tools/status-cloudwatch";
import { formatStatus } from "../../tools/status-report";
import { stageStatus } from "../../tools/status-stage";
import { queueMessage } from "../support/deliver-messages";
import { startDynamo, type LoopbackDynamo } from "../support/dynamo";
import { startSqs, type FifoQueue, type LoopbackSqs } from "../support/fauxqs";
import { startSsmFake, type SsmFake } from "../support/ssm-fake";

/**
 * `npm run status -- --stage` over a stage's real protocols where they can be reached: SQS on
 * fauxqs (depth, dead letters by reason), the state table on dynalite (waiting letters), SSM on the
 * project's fake (the key). CloudWatch has no loopback emulator here, so its reader (metrics, the
 * oldest message's age, firing alarms) is a stub of the port `tools/status-cloudwatch.ts` defines.
 */

const KEY = "eu1.status-stage-key";
let sqs: LoopbackSqs;
let dynamo: LoopbackDynamo;
let ssm: SsmFake;
let queue: FifoQueue;
let table: string;

beforeAll(async () => {
  [sqs, dynamo, ssm] = await Promise.all([startSqs(), startDynamo(), startSsmFake()]);
  queue = await sqs.createFifoQueue("status-stage");
  table = await dynamo.createStateTable("status-stage-state");
  ssm.set("/fullstory-bridge/prod/fullstory-api-key", KEY);
  const port = createSqsQueue({ queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl, client: sqs.client });
  for (const uid of ["a", "b", "c"]) await port.send(queueEntry(queueMessage(uid)));
  const failure = (reason: "rejected" | "retries_exhausted") => ({ reason, attempts: 1, first_failed_at: "2026-01-01T00:00:00.000Z" });
  for (const [uid, reason] of [["d", "rejected"], ["e", "rejected"], ["f", "retries_exhausted"]] as const) {
    await port.deadLetter({ ...queueEntry(queueMessage(uid)), failure: failure(reason) });
  }
  const state = createDynamoStateStore({ tableName: table, client: dynamo.client });
  const waiting = queueEntry(queueMessage(null, { subject: "cus_waiting" }));
  await state.park({ source: "standard", subject: "cus_waiting", ...waiting, failure: { reason: "uid_unresolved", attempts: 0, first_failed_at: "2026-01-01T00:00:00.000Z" } });
}, 60_000);
afterAll(() => Promise.all([sqs.stop(), dynamo.stop(), ssm.stop()]));

const cloudwatch = (over: Partial<CloudWatchReader> = {}): CloudWatchReader => ({
  sums: async (stage, sources) => {
    expect(stage).toBe("prod");
    expect(sources).toContain("stripe");
    return { stripe: { webhooks_accepted: 40, webhooks_invalid_signature: 2, deliveries_delivered: 38, deliveries_retried: 3 } };
  },
  oldestAgeSeconds: async () => 250,
  firingAlarms: async (prefix) => (prefix === "fullstory-webhook-bridge-prod-" ? ["fullstory-webhook-bridge-prod-queue-age"] : []),
  ...over,
});

const status = (reader: CloudWatchReader) =>
  stageStatus({
    settings: stageSettings("prod"),
    queues: { queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl, stateTable: table },
    sqs: sqs.client,
    dynamo: dynamo.client,
    cloudwatch: reader,
    parameters: createParameterStore({ ttlMs: 0, client: (region) => ssm.client(region) }),
  });

describe("npm run status -- --stage", () => {
  it("reports the queue's depth, dead letters and waiting letters by reason, the last hour, firing alarms and the key's data center", async () => {
    const report = await status(cloudwatch());
    expect(report).toMatchObject({
      where: "stage prod",
      queue: { depth: 3, inFlight: 0, oldestAgeSeconds: 250 },
      deadLetters: { rejected: 2, retries_exhausted: 1 },
      waiting: { uid_unresolved: 1 },
      alarms: ["fullstory-webhook-bridge-prod-queue-age"],
      key: { kind: "parameter", name: "/fullstory-bridge/prod/fullstory-api-key", readable: true, dataCenter: "eu1" },
    });
    const text = formatStatus(report);
    expect(text).toContain("queue         3 waiting, oldest 4 min");
    expect(text).toContain("dead letters  3: rejected 2, retries_exhausted 1   (npm run dlq -- list --stage prod)");
    expect(text).toContain("waiting       1: uid_unresolved 1");
    expect(text).toContain("last hour     stripe: webhooks accepted 40, invalid_signature 2; deliveries delivered 38, retried 3");
    expect(text).toContain("alarms        FIRING: fullstory-webhook-bridge-prod-queue-age");
    expect(text).toContain("fullstory key /fullstory-bridge/prod/fullstory-api-key: readable, data center eu1");
    expect(text).not.toContain(KEY);
    expect(text.split("\n").length).toBeLessThanOrEqual(24);
  });

  it("leaves what it listed where it was: a second report counts the same letters", async () => {
    const again = await status(cloudwatch());
    expect(again.deadLetters).toEqual({ rejected: 2, retries_exhausted: 1 });
    expect(again.queue.depth).toBe(3);
  });

  it("says when CloudWatch cannot be read and when the key cannot, and still reports the queues", async () => {
    const denied = Object.assign(new Error("denied"), { name: "AccessDeniedException" });
    const report = await stageStatus({
      settings: stageSettings("prod", { parameters: { fullstoryApiKey: "/fullstory-bridge/prod/missing-key" } }),
      queues: { queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl },
      sqs: sqs.client,
      cloudwatch: cloudwatch({ sums: () => Promise.reject(denied), firingAlarms: () => Promise.reject(denied), oldestAgeSeconds: () => Promise.reject(denied) }),
      parameters: createParameterStore({ ttlMs: 0, client: (region) => ssm.client(region) }),
    });
    const text = formatStatus(report);
    expect(text).toContain("queue         3 waiting, oldest unknown");
    expect(text).toContain("activity      CloudWatch could not be read (AccessDeniedException)");
    expect(text).toContain("alarms        CloudWatch could not be read (AccessDeniedException)");
    expect(text).toMatch(/fullstory key \/fullstory-bridge\/prod\/missing-key: NOT readable \(/);
  });
});
