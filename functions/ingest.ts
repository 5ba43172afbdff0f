import { randomUUID } from "node:crypto";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { loadConfig, type Config } from "./config";
import { handleWebhook, type IngestDeps, type WebhookResponse } from "./ingest-core";
import { createLogger, type Logger } from "./log";
import { createEmfMetrics } from "./metrics";
import { createParameterStore } from "./parameters";
import { sqsQueueFromConfig } from "./queue/sqs";
import { beforeDeadline } from "./deadline";
import { SDK_CLIENT_OPTIONS } from "./sdk-options";
import { createSecretsReader } from "./secrets";

const WEBHOOK_PATH = /^\/webhooks\/([^/]+)\/?$/;

/**
 * Kept back from the invocation's remaining time to answer in: when reading a secret or queueing
 * the event takes longer than the rest, the source gets the documented 503 (and retries) instead of
 * API Gateway's 500 for a timed-out function.
 */
export const INGEST_MARGIN_MS = 1_000;

const UNAVAILABLE: WebhookResponse = { status: 503, body: { error: "temporarily_unavailable" } };

/**
 * Builds the API Gateway HTTP API (payload v2) handler over `deps`: `GET /healthz` and
 * `POST /webhooks/{source}`. `deps` is resolved once, on the first request, and kept for the
 * container's life (clients, pools and caches are not rebuilt per request).
 */
export function createIngestHandler(deps: () => IngestDeps) {
  let resolved: IngestDeps | undefined;
  return async (event: APIGatewayProxyEventV2, context?: Pick<Context, "getRemainingTimeInMillis" | "awsRequestId">): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext?.http?.method ?? "GET";
    const path = event.rawPath ?? "/";
    if (path === "/healthz") return method === "GET" ? json({ status: 200, body: { status: "ok" } }) : methodNotAllowed("GET");
    const match = WEBHOOK_PATH.exec(path);
    if (!match) return json({ status: 404, body: { error: "not_found" } });
    if (method !== "POST") return methodNotAllowed("POST");

    try {
      resolved ??= deps();
    } catch (err) {
      // A setting is wrong: answer 503 so the source retries while the operator fixes it.
      createLogger().error("ingest is misconfigured", { error: err instanceof Error ? err.message : String(err) });
      return json(UNAVAILABLE);
    }
    const requestId = context?.awsRequestId ?? randomUUID();
    const request = { source: safeDecode(match[1] ?? ""), headers: lowerCase(event.headers), body: rawBody(event), requestId };
    const ready = resolved;
    try {
      if (!context) return json(await handleWebhook(request, ready));
      const remainingMs = () => context.getRemainingTimeInMillis() - INGEST_MARGIN_MS;
      // Past the budget the source gets a 503. A call still running then (an SSM read shared with
      // other requests, a queue send that ends up succeeding) is left to finish: the source retries,
      // and the queue's deduplication id makes a late success and the retry one message.
      const answer = await beforeDeadline(handleWebhook(request, { ...ready, remainingMs }), remainingMs()).catch(() => UNAVAILABLE);
      return json(answer);
    } finally {
      ready.metrics?.flush();
    }
  };
}

function safeDecode(segment: string): string {
  // Nothing to decode in the usual `stripe`, `clerk`, `standard`.
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Base64 bodies are decoded to bytes; text bodies are passed on as the text API Gateway sent. */
function rawBody(event: APIGatewayProxyEventV2): Buffer | string {
  if (!event.body) return "";
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : event.body;
}

function lowerCase(headers: APIGatewayProxyEventV2["headers"] | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name in headers) out[name.toLowerCase()] = headers[name];
  return out;
}

function json(response: WebhookResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: response.status, headers: { "content-type": "application/json" }, body: JSON.stringify(response.body) };
}

function methodNotAllowed(allow: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 405, headers: { "content-type": "application/json", allow }, body: JSON.stringify({ error: "method_not_allowed" }) };
}

/** The deployed wiring: config from the environment, SQS FIFO queues, secrets from SSM. */
export function deployedIngestDeps(config: Config = loadConfig(), log: Logger = createLogger()): IngestDeps {
  const queue = sqsQueueFromConfig(config, new SQSClient(SDK_CLIENT_OPTIONS));
  const secrets = createSecretsReader(config, createParameterStore({ ttlMs: config.parameterTtlMs }));
  return { config, queue, secrets, log, metrics: createEmfMetrics({ stage: config.stage ?? "unknown" }) };
}

export const handler = createIngestHandler(() => deployedIngestDeps());
