import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { loadConfig, type Config } from "./config";
import { handleWebhook, type IngestDeps, type WebhookResponse } from "./ingest-core";
import { createLogger, type Logger } from "./log";
import { createParameterStore } from "./parameters";
import { sqsQueueFromConfig } from "./queue/sqs";
import { createSecretsReader } from "./secrets";

const WEBHOOK_PATH = /^\/webhooks\/([^/]+)\/?$/;

/**
 * Builds the API Gateway HTTP API (payload v2) handler over `deps`: `GET /healthz` and
 * `POST /webhooks/{source}`. `deps` is resolved once, on the first request, and kept for the
 * container's life (clients, pools and caches are not rebuilt per request).
 */
export function createIngestHandler(deps: () => IngestDeps) {
  let resolved: IngestDeps | undefined;
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
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
      return json({ status: 503, body: { error: "temporarily_unavailable" } });
    }
    const request = { source: safeDecode(match[1] ?? ""), headers: lowerCase(event.headers), body: rawBody(event) };
    return json(await handleWebhook(request, resolved));
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
  const queue = sqsQueueFromConfig(config, new SQSClient({}));
  const secrets = createSecretsReader(config, createParameterStore({ ttlMs: config.parameterTtlMs }));
  return { config, queue, secrets, log };
}

export const handler = createIngestHandler(() => deployedIngestDeps());
