import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { createDeliverHandler } from "../../functions/deliver";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import { queueEntry, type QueueMessage } from "../../functions/message";
import { createSecretsReader } from "../../functions/secrets";
import { apiEvent } from "../support/api-event";
import { memoryQueue } from "../support/memory-queue";
import { customerObject, stripeEvent } from "../support/stripe-events";

const SECRET = "whsec_correlation";
const stripe = new Stripe("sk_test_unused");

describe("following one event across both functions", () => {
  it("logs ingest's Lambda request id, queues it as the correlation id, and deliver logs it beside its own request id", async () => {
    const ingestLines: Record<string, unknown>[] = [];
    const queue = memoryQueue();
    const config = loadConfig({ STRIPE_WEBHOOK_SECRET: SECRET });
    const ingest = createIngestHandler(() => ({
      config,
      queue,
      secrets: createSecretsReader(config, { get: async () => "" }),
      log: createLogger((l) => ingestLines.push(JSON.parse(l) as Record<string, unknown>)),
    }));
    const payload = JSON.stringify(stripeEvent("customer.updated", customerObject(), { id: "evt_corr" }));
    const headers = { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }) };
    const res = await ingest(apiEvent({ path: "/webhooks/stripe", headers, body: payload }), { getRemainingTimeInMillis: () => 10_000, awsRequestId: "ingest-req-1" });
    expect(res).toMatchObject({ statusCode: 202 });
    expect(ingestLines.find((l) => l.msg === "webhook")).toMatchObject({ request_id: "ingest-req-1", event_id: "evt_corr" });
    const message = queue.sent[0] as QueueMessage;
    expect(message.correlation_id).toBe("ingest-req-1");

    const deliverLines: Record<string, unknown>[] = [];
    const deliver = createDeliverHandler(() => ({
      config: loadConfig({}),
      getApiKey: async () => "na1.key",
      fullstory: { send: async () => ({ kind: "ok", id: "1" }) },
      queue: memoryQueue(),
      logger: createLogger((l) => deliverLines.push(JSON.parse(l) as Record<string, unknown>)),
    }));
    const { body, groupId } = queueEntry(message);
    const record = { messageId: "m1", body, attributes: { MessageGroupId: groupId, ApproximateReceiveCount: "1" } };
    await deliver({ Records: [record] } as never, { getRemainingTimeInMillis: () => 30_000, awsRequestId: "deliver-req-9" });
    expect(deliverLines.find((l) => l.msg === "deliver")).toMatchObject({ request_id: "deliver-req-9", correlation_id: "ingest-req-1", event_id: "evt_corr", outcome: "delivered" });
  });
});
