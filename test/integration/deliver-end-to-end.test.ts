import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import { createSqsQueue } from "../../functions/queue/sqs";
import { createSecretsReader } from "../../functions/secrets";
import { apiEvent, parseResponse } from "../support/api-event";
import { startDynamo, type LoopbackDynamo } from "../support/dynamo";
import { deliverContainer } from "../support/deliver-container";
import { upsertKey } from "../support/deliver-messages";
import { startSqs, type LoopbackSqs } from "../support/fauxqs";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { drainQueue, readQueue } from "../support/sqs-lambda";
import { startSsmFake, type SsmFake } from "../support/ssm-fake";

const KEY = "na1.e2e-key";
const PARAM = "/fullstory-bridge/e2e/fullstory-api-key";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

let sqs: LoopbackSqs;
let dynamo: LoopbackDynamo;
const STATE_TABLE = "bridge-state";
let ssm: SsmFake;
let fullstory: FullstoryFake;
let queueCount = 0;

beforeAll(async () => {
  [sqs, ssm, fullstory, dynamo] = await Promise.all([startSqs(), startSsmFake(), startFullstoryFake({ keys: [KEY] }), startDynamo()]);
  await dynamo.createStateTable(STATE_TABLE);
  ssm.set(PARAM, KEY);
});
afterAll(() => Promise.all([sqs.stop(), ssm.stop(), fullstory.stop(), dynamo.stop()]));

/** A stage on its own FIFO queue: the ingest handler and one deliver container. */
async function stage() {
  const queue = await sqs.createFifoQueue(`e2e-${++queueCount}`);
  const env = { STANDARD_WEBHOOK_SECRET: SECRET, FULLSTORY_API_KEY_PARAMETER: PARAM };
  const config = loadConfig({ ...env, BRIDGE_QUEUE_URL: queue.queueUrl, BRIDGE_DEAD_LETTER_QUEUE_URL: queue.deadLetterQueueUrl });
  const ingest = createIngestHandler(() => ({
    config,
    queue: createSqsQueue({ queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl, client: sqs.client }),
    secrets: createSecretsReader(config, { get: () => Promise.reject(new Error("no parameters on this stage")) }),
    log: createLogger(() => {}),
  }));
  const deliver = deliverContainer({ sqs, dynamo, stateTable: STATE_TABLE, ssm, fullstory, queue, env });
  const drain = () => drainQueue({ client: sqs.client, queueUrl: queue.queueUrl, queueArn: queue.queueArn, handler: deliver.handler });
  return { queue, ingest, deliver, drain };
}

/** POSTs a Standard Webhooks-signed upsert to the ingest handler, as the team's backend would. */
async function post(ingest: ReturnType<typeof createIngestHandler>, body: object) {
  const id = `msg_${crypto.randomUUID()}`;
  const payload = JSON.stringify(body);
  const now = new Date();
  const headers = {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(SECRET).sign(id, now, payload),
  };
  const res = parseResponse(await ingest(apiEvent({ path: "/webhooks/standard", headers, body: payload })));
  expect(res.status).toBe(202);
  return id;
}

const requestsFor = (uid: string) => fullstory.requests.filter((r) => r.uid === uid);

describe("ingest → SQS FIFO → deliver → Fullstory", () => {
  it("delivers signed webhooks to Fullstory with the event's idempotency key", async () => {
    const s = await stage();
    const ids = await Promise.all(["e2e-ann", "e2e-bob", "e2e-cy"].map((uid) => post(s.ingest, { uid, properties: { plan: `plan_${uid}` } })));
    const invocations = await s.drain();
    expect(invocations.flatMap((i) => i.failedIds)).toEqual([]);
    for (const [i, uid] of ["e2e-ann", "e2e-bob", "e2e-cy"].entries()) {
      expect(fullstory.users.get(uid)?.properties).toEqual({ plan: `plan_${uid}` });
      expect(requestsFor(uid).map((r) => r.idempotencyKey)).toEqual([upsertKey("standard", ids[i] as string, { uid, properties: { plan: `plan_${uid}` } })]);
    }
    expect(await readQueue(sqs.client, s.queue.deadLetterQueueUrl)).toEqual([]);
  });

  it("keeps per-user order: five updates with a failure on the first leave Fullstory with the fifth", async () => {
    const s = await stage();
    const uid = "e2e-ordered";
    for (let v = 1; v <= 5; v++) await post(s.ingest, { uid, properties: { plan: `v${v}`, [`saw_v${v}`]: true } });
    // Rate-limited for longer than the invocation has: the first update goes back to the queue.
    fullstory.faults.push({ status: 429, retryAfterSeconds: 300 });
    const invocations = await s.drain();
    expect(invocations[0]?.failedIds).toHaveLength(1);
    const accepted = requestsFor(uid).filter((r) => r.status === 200);
    expect(accepted.map((r) => (r.body?.properties as { plan: string }).plan)).toEqual(["v1", "v2", "v3", "v4", "v5"]);
    expect(fullstory.users.get(uid)?.properties.plan).toBe("v5");
  });

  it("sends a redriven message with the same Idempotency-Key as its first attempt", async () => {
    const s = await stage();
    const uid = "e2e-redriven";
    const eventId = await post(s.ingest, { uid, properties: { plan: "pro" } });
    fullstory.faults.push({ status: 400 });
    await s.drain();
    const [letter] = await readQueue(sqs.client, s.queue.deadLetterQueueUrl);
    expect(letter?.attributes).toMatchObject({ reason: "rejected", status: "400", code: "required_field" });
    expect(fullstory.users.has(uid)).toBe(false);

    // What the dlq tool's redrive does: the same body back on the main queue.
    await sqs.client.send(
      new SendMessageCommand({ QueueUrl: s.queue.queueUrl, MessageBody: letter?.body, MessageGroupId: uid, MessageDeduplicationId: crypto.randomUUID() }),
    );
    await s.drain();
    const keys = requestsFor(uid).map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys)).toEqual(new Set([upsertKey("standard", eventId, { uid, properties: { plan: "pro" } })]));
    expect(fullstory.users.get(uid)?.properties).toEqual({ plan: "pro" });
  });
});
