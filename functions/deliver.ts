import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { loadConfig, type Config } from "./config";
import { apiKeyGetter, deliverBatch, releaseWaitingForStripeKey, type DeliverDeps } from "./deliver-core";
import { isBridgeError } from "./errors";
import { createFullstoryClient, type FullstoryClientOptions } from "./fullstory/client";
import { createLogger, type Logger } from "./log";
import { createEmfMetrics, METRIC, type MetricsSink } from "./metrics";
import { createParameterStore } from "./parameters";
import { sqsQueueFromConfig } from "./queue/sqs";
import { SDK_CLIENT_OPTIONS } from "./sdk-options";
import type { StripeApi } from "./sources/stripe/api";
import { stripeRefresherFactory } from "./sources/stripe/api-mode";
import { dynamoStateFromConfig } from "./state/dynamo";

/** Kept back from the invocation's remaining time for dead-lettering and answering Lambda. */
export const SAFETY_MARGIN_MS = 2_000;

export type ContainerDeps = Omit<DeliverDeps, "remainingMs"> & {
  /** Run once, on the container's first invocation: reads what every batch will need (the parameters) in one go. */
  warmUp?: () => Promise<void>;
};

/**
 * Builds the SQS (FIFO, partial batch responses) Lambda handler over `deps`, which is resolved on
 * the first invocation and kept for the container's life: one SSM cache, one Fullstory pool, one
 * state-table client. The container's first invocation also puts back on the queue the thin
 * events that waited for Stripe API mode, if it has it now. Each record becomes an
 * InboundMessage; failed ones are returned as `batchItemFailures` so SQS redelivers only those.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export function createDeliverHandler(deps: () => ContainerDeps) {
  let resolved: ContainerDeps | undefined;
  let started = false;
  return async (event: SQSEvent, context: Pick<Context, "getRemainingTimeInMillis"> & Partial<Pick<Context, "awsRequestId">>): Promise<SQSBatchResponse> => {
    const messages = event.Records.map((r) => ({
      id: r.messageId,
      body: r.body,
      groupId: r.attributes.MessageGroupId ?? r.messageId,
      receiveCount: Number(r.attributes.ApproximateReceiveCount),
    }));
    try {
      resolved ??= deps();
    } catch (err) {
      // A setting is wrong: hand every message back; the redrive policy parks them if it stays wrong.
      createLogger().error("deliver is misconfigured", { error: err instanceof Error ? err.message : String(err) });
      return { batchItemFailures: messages.map((m) => ({ itemIdentifier: m.id })) };
    }
    const remainingMs = () => context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
    const batchDeps = { ...resolved, remainingMs, ...(context.awsRequestId ? { requestId: context.awsRequestId } : {}) };
    try {
      if (!started) {
        started = true;
        await resolved.warmUp?.();
        await releaseWaitingForStripeKey(batchDeps).catch((err: unknown) =>
          batchDeps.logger.warn("thin events not released", { error: isBridgeError(err) ? err.code : "unexpected" }),
        );
      }
      const { failedIds } = await deliverBatch(messages, batchDeps);
      return { batchItemFailures: failedIds.map((itemIdentifier) => ({ itemIdentifier })) };
    } finally {
      resolved.metrics?.flush();
    }
  };
}

export interface DeployedOptions {
  /** SDK clients; by default built from the SDK's own environment (AWS_REGION, AWS_ENDPOINT_URL_*). */
  sqs?: SQSClient;
  ssm?: (region: string | undefined) => SSMClient;
  dynamo?: DynamoDBClient;
  /** Stripe API mode's client, when the key is configured; by default the official `stripe` client. */
  stripe?: StripeApi;
  fullstory?: FullstoryClientOptions;
  logger?: Logger;
  metrics?: MetricsSink;
}

/** The deployed wiring: config from the environment, the key from SSM, the state table, dead letters to the SQS FIFO DLQ. */
export function deployedDeliverDeps(config: Config = loadConfig(), options: DeployedOptions = {}): ContainerDeps {
  const queue = sqsQueueFromConfig(config, options.sqs ?? new SQSClient(SDK_CLIENT_OPTIONS));
  const parameters = createParameterStore({ ttlMs: config.parameterTtlMs, client: options.ssm });
  const state = dynamoStateFromConfig(config.stateTable, options.dynamo ?? new DynamoDBClient(SDK_CLIENT_OPTIONS));
  const metrics = options.metrics ?? createEmfMetrics({ stage: config.stage ?? "unknown" });
  const stripe = stripeRefresherFactory(config, parameters, options.stripe, () => metrics.count("stripe", METRIC.stripeApiCalls));
  // The Fullstory key and, in Stripe API mode, Stripe's: one GetParameters for both.
  const names = [config.fullstory.apiKeyParameter, config.stripeApi?.key.kind === "parameter" ? config.stripeApi.key.name : undefined].filter((n): n is string => n !== undefined);
  return {
    ...(names.length > 1 ? { warmUp: () => parameters.prefetch(names) } : {}),
    config,
    getApiKey: apiKeyGetter(config, parameters),
    fullstory: createFullstoryClient(options.fullstory),
    queue,
    state,
    ...(stripe ? { refreshers: { stripe } } : {}),
    logger: options.logger ?? createLogger(),
    metrics,
  };
}

export const handler = createDeliverHandler(() => deployedDeliverDeps());
