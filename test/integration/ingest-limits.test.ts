import { createServer, type Server, type Socket } from "node:net";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_BODY_BYTES, loadConfig } from "../../functions/config";
import { createIngestHandler, deployedIngestDeps } from "../../functions/ingest";
import { ErrorCode, isBridgeError } from "../../functions/errors";
import { createLogger } from "../../functions/log";
import { SQS_LIMITS } from "../../functions/queue/limits";
import { createSqsQueue } from "../../functions/queue/sqs";
import { SDK_CLIENT_OPTIONS } from "../../functions/sdk-options";
import { createSecretsReader } from "../../functions/secrets";
import { apiEvent, parseResponse } from "../support/api-event";
import { startSqs, type LoopbackSqs } from "../support/fauxqs";
import { lambdaContext } from "../support/sqs-lambda";

const SECRET = `whsec_${Buffer.from("ingest-limits-secret-0123456789").toString("base64")}`;
let sqs: LoopbackSqs;
let n = 0;

beforeAll(async () => {
  sqs = await startSqs();
});
afterAll(() => sqs.stop());

/** The standard source's signed request for `payload` (bytes as sent; the signature is over their UTF-8 reading). */
function signed(payload: Buffer) {
  const id = `msg_limits_${++n}`;
  const now = new Date();
  const signature = new Webhook(SECRET).sign(id, now, payload.toString("utf8"));
  return apiEvent({
    path: "/webhooks/standard",
    headers: { "webhook-id": id, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": signature },
    body: payload,
    base64: true,
  });
}

/**
 * A JSON upsert of exactly `bytes` bytes, written as latin1 text (one character per byte, so a
 * `\xff` is one raw byte of broken UTF-8): `fill(room)` makes each property's value.
 */
function upsertOfSize(bytes: number, fill: (room: number) => string, uid = "limits"): Buffer {
  const head = `{"uid":"${uid}","properties":{`;
  let text = head;
  for (let i = 0; ; i++) {
    const prefix = `${i === 0 ? "" : ","}"p${i}":`;
    const room = bytes - text.length - prefix.length - 2;
    if (room < 8) break;
    text += prefix + fill(room);
  }
  // Pad with spaces (JSON whitespace) to the exact size.
  return Buffer.from(`${text}${" ".repeat(bytes - text.length - 2)}}}`, "latin1");
}

/**
 * Values that make the queued message as large as a body can: `1e20` serialises as 21 digits in the
 * upsert, and a byte of broken UTF-8 becomes U+FFFD (3 bytes) in both `raw` and the upsert. Each
 * value stays within Fullstory's 8192-byte limit, so ingest accepts it.
 */
const numbers = (room: number) => `[${Array.from({ length: Math.min(370, Math.floor((room - 2) / 5)) }, () => "1e20").join(",")}]`;
const brokenUtf8 = (room: number) => `"${"\xff".repeat(Math.min(2700, room - 2))}"`;

function handlerOver(env: Record<string, string>, queueUrls: { queueUrl: string; deadLetterQueueUrl: string }) {
  const config = loadConfig({ STANDARD_WEBHOOK_SECRET: SECRET, ...env });
  const queue = createSqsQueue({ ...queueUrls, client: sqs.client });
  return createIngestHandler(() => ({ config, queue, secrets: createSecretsReader(config, { get: async () => "" }), log: createLogger(() => {}) }));
}

describe("ingest and the size of one SQS message", () => {
  it("queues a body of the default limit written to make its message as large as possible: it always fits", async () => {
    const queues = await sqs.createFifoQueue("limits-fit");
    const handler = handlerOver({}, queues);
    for (const fill of [numbers, brokenUtf8]) {
      const body = upsertOfSize(DEFAULT_MAX_BODY_BYTES, fill, fill === numbers ? "limits-numbers" : "limits-utf8");
      expect(body.length).toBe(DEFAULT_MAX_BODY_BYTES);
      expect(parseResponse(await handler(signed(body)))).toMatchObject({ status: 202 });
    }
    const { Messages = [] } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queues.queueUrl, MaxNumberOfMessages: 10 }));
    const sizes = Messages.map((m) => Buffer.byteLength(m.Body ?? ""));
    expect(sizes).toHaveLength(2);
    // Each came close to the arithmetic's worst case (6.25 and 6 bytes per body byte), and stayed under SQS's limit.
    for (const size of sizes) {
      expect(size).toBeGreaterThan(5 * DEFAULT_MAX_BODY_BYTES);
      expect(size).toBeLessThanOrEqual(SQS_LIMITS.messageBytes);
    }
  });

  it("answers 413 with the limits, before queueing, when a larger BRIDGE_MAX_BODY_BYTES lets in a body whose message cannot fit", async () => {
    const queues = await sqs.createFifoQueue("limits-over");
    const handler = handlerOver({ BRIDGE_MAX_BODY_BYTES: "400000" }, queues);
    const body = upsertOfSize(300_000, numbers);
    expect(parseResponse(await handler(signed(body)))).toEqual({
      status: 413,
      body: { error: "payload_too_large", limit_bytes: 400_000, queue_message_limit_bytes: SQS_LIMITS.messageBytes },
    });
    const { Messages = [] } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queues.queueUrl, MaxNumberOfMessages: 10 }));
    expect(Messages).toEqual([]);
  });
});

describe("ingest against a hung queue", () => {
  let hung: Server;
  const sockets: Socket[] = [];
  const env = ["AWS_ENDPOINT_URL_SQS", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;
  const saved = Object.fromEntries(env.map((name) => [name, process.env[name]]));
  beforeAll(async () => {
    // Accepts connections and never answers: the SQS call hangs unless it is bounded.
    hung = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    for (const name of env) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => hung.close(resolve));
  });

  it("answers 503 within the function's budget, through the deployed wiring's SDK client", async () => {
    const address = hung.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    // The SDK's own variables, as on a deployed stage (with dummy credentials).
    Object.assign(process.env, { AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${address.port}`, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" });
    const config = loadConfig({
      STANDARD_WEBHOOK_SECRET: SECRET,
      BRIDGE_QUEUE_URL: `http://127.0.0.1:${address.port}/123456789012/hung.fifo`,
      BRIDGE_DEAD_LETTER_QUEUE_URL: `http://127.0.0.1:${address.port}/123456789012/hung-dlq.fifo`,
    });
    const handler = createIngestHandler(() => deployedIngestDeps(config, createLogger(() => {})));
    const budgetMs = 4_000;
    const started = Date.now();
    const answer = parseResponse(await handler(signed(Buffer.from('{"uid":"hung","properties":{}}')), lambdaContext(budgetMs)));
    expect(answer.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(budgetMs);
  });

  it("gives the deployed SQS client its own request timeout, so a hung call ends even without a budget", async () => {
    const address = hung.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const client = new SQSClient({ ...SDK_CLIENT_OPTIONS, endpoint: `http://127.0.0.1:${address.port}`, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    const queueUrl = `http://127.0.0.1:${address.port}/123456789012/hung.fifo`;
    const queue = createSqsQueue({ queueUrl, deadLetterQueueUrl: queueUrl, client });
    const started = Date.now();
    const err = await queue.send({ body: "{}", groupId: "g", deduplicationId: "d" }).catch((e: unknown) => e);
    const { maxAttempts, requestHandler } = SDK_CLIENT_OPTIONS;
    expect(isBridgeError(err, ErrorCode.QueueUnavailable)).toBe(true);
    expect(Date.now() - started).toBeLessThan(maxAttempts * (requestHandler.requestTimeout + 500));
    client.destroy();
  });
});
