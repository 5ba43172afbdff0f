import { isUtf8 } from "node:buffer";
import type { Config } from "./config";
import { isBridgeError, ErrorCode } from "./errors";
import { isoTime } from "./iso-time";
import { nestsDeeperThan } from "./json-depth";
import type { Logger } from "./log";
import { sourceDimension, webhookMetric, type MetricsSink } from "./metrics";
import { DeadLetterReason, queueEntry } from "./message";
import { buildMessage } from "./message-build";
import { SQS_LIMITS, sqsMessageBytes } from "./queue/limits";
import type { DeadLetter, QueuePort } from "./queue/port";
import { deadLetterEntry } from "./queue/sqs";
import type { SecretsReader } from "./secrets";
import { findSource } from "./sources";
import type { SourceEvent } from "./sources/types";

/** A webhook request as ingest sees it, whichever server received it. */
export interface WebhookRequest {
  source: string;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
  /**
   * The raw body, exactly as received: bytes, or the text API Gateway hands over when the body was
   * not base64-encoded (taken as is, so a 4–8 KB body is not copied to bytes and back per request).
   */
  body: Buffer | string;
  /**
   * The invocation's request id (Lambda's, or local mode's own), logged and queued with the event as
   * its correlation id, so one event can be followed from ingest to deliver.
   */
  requestId?: string;
}

export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface IngestDeps {
  config: Config;
  queue: QueuePort;
  secrets: SecretsReader;
  log: Logger;
  /** Milliseconds since the epoch; injectable for signature-tolerance tests. */
  now?: () => number;
  /** Time left to answer in (the handler's budget); the queue call is abandoned when it runs out. */
  remainingMs?: () => number;
  /** Counts each request's outcome per source (flushed by the handler). */
  metrics?: MetricsSink;
}

const reply = (status: number, body: Record<string, unknown>): WebhookResponse => ({ status, body });
const NOT_FOUND = reply(404, { error: "not_found" });
const INVALID_SIGNATURE = reply(401, { error: "invalid_signature" });
const QUEUE_UNAVAILABLE = reply(503, { error: "queue_unavailable" });
const UNAVAILABLE = reply(503, { error: "temporarily_unavailable" });

/** What one request's log line carries: ids and outcomes only, never the body, an email or a secret. */
interface Outcome {
  response: WebhookResponse;
  outcome: string;
  event?: SourceEvent;
}

/**
 * Handles one `POST /webhooks/{source}`: size limit, signature, JSON, schema, normalisation, then
 * the queue. Answers per DESIGN.md's HTTP contract and never throws: an unexpected failure is a
 * 503, so the source retries and nothing it sent is lost.
 */
export async function handleWebhook(request: WebhookRequest, deps: IngestDeps): Promise<WebhookResponse> {
  const started = performance.now();
  let result: Outcome;
  try {
    result = await ingest(request, deps);
  } catch (err) {
    deps.log.error("ingest failed unexpectedly", { source: request.source, error: describe(err) });
    // Unverified or not, nothing was acknowledged: the source retries, and the log says why.
    result = { response: UNAVAILABLE, outcome: "error" };
  }
  const source = sourceDimension(request.source);
  const metric = webhookMetric(result.outcome);
  if (metric) deps.metrics?.count(source, metric);
  deps.log.info("webhook", {
    request_id: request.requestId,
    source,
    event_type: result.event?.type,
    event_id: result.event?.id,
    outcome: result.outcome,
    status: result.response.status,
    duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
  });
  return result.response;
}

async function ingest(request: WebhookRequest, deps: IngestDeps): Promise<Outcome> {
  const { config } = deps;
  const source = findSource(request.source);
  if (!source || !config.secrets[source.name]) return { response: NOT_FOUND, outcome: "unknown_source" };
  const raw = request.body;
  const bytes = typeof raw === "string" ? Buffer.byteLength(raw, "utf8") : raw.byteLength;
  if (bytes > config.maxBodyBytes) {
    return { response: reply(413, { error: "payload_too_large", limit_bytes: config.maxBodyBytes }), outcome: "too_large" };
  }

  const secrets = await deps.secrets(source.name);
  if (!secrets || secrets.length === 0) return { response: NOT_FOUND, outcome: "unknown_source" };

  const payload = typeof raw === "string" ? wellFormed(raw) : raw.toString("utf8");
  const now = deps.now?.() ?? Date.now();
  let verified;
  try {
    verified = source.verify({ payload, headers: request.headers, secrets, now });
  } catch (err) {
    if (isBridgeError(err, ErrorCode.InvalidSignature)) return { response: INVALID_SIGNATURE, outcome: "invalid_signature" };
    throw err;
  }

  // A signature is checked over the body's UTF-8 reading, so a signed body's bytes are covered. A
  // source that signs nothing (Chargebee) would have its broken bytes read as U+FFFD instead.
  if (source.unsignedBody && typeof raw !== "string" && !isUtf8(raw)) {
    return { response: reply(400, { error: "invalid_payload", issues: ["$"] }), outcome: "invalid_payload" };
  }
  let json: unknown;
  try {
    json = JSON.parse(payload);
    if (nestsDeeperThan(json)) throw new SyntaxError("nested too deeply");
  } catch {
    return { response: reply(400, { error: "invalid_payload", issues: ["$"] }), outcome: "invalid_payload" };
  }
  const parsed = source.parse(json, verified);
  if (parsed.kind === "invalid") {
    return { response: reply(400, { error: "invalid_payload", issues: parsed.issues }), outcome: "invalid_payload" };
  }
  if (parsed.kind === "ignored") return ignored(parsed.reason);

  const event = parsed.event;
  if (config.live && event.livemode === false) return { ...ignored("test_mode_event"), event };

  const built = buildMessage(source, event, config, payload, isoTime(now));
  if (built.kind === "ignored") return { ...ignored(built.reason), event };
  if (built.kind === "invalid") return { response: reply(400, { error: "invalid_payload", issues: built.issues }), outcome: "invalid_payload", event };
  const message = request.requestId ? { ...built.message, correlation_id: request.requestId } : built.message;
  // Deliver resolves a uid through the account the event is about, or fetches a thin event's object
  // (which names it); an event that names neither a user nor an account is parked at once.
  const deliverable = message.uid !== null || message.subject !== undefined || message.upsert === null;
  const entry = queueEntry(message);
  const letter: DeadLetter | undefined = deliverable
    ? undefined
    : { ...entry, failure: { reason: DeadLetterReason.UidUnresolved, attempts: 0, first_failed_at: message.received_at } };
  // Sized before anything is queued: a message over the queue's limit would be refused on every
  // retry, and the source would keep retrying for days (see DEFAULT_MAX_BODY_BYTES in config.ts).
  const messageBytes = letter ? sqsMessageBytes(letter.body, deadLetterEntry(letter).attributes) : Buffer.byteLength(entry.body, "utf8");
  if (messageBytes > SQS_LIMITS.messageBytes) {
    const body = { error: "payload_too_large", limit_bytes: config.maxBodyBytes, queue_message_limit_bytes: SQS_LIMITS.messageBytes };
    return { response: reply(413, body), outcome: "too_large", event };
  }
  const timeoutMs = deps.remainingMs?.();
  try {
    if (letter) await deps.queue.deadLetter(letter, { timeoutMs });
    else await deps.queue.send(entry, { timeoutMs });
  } catch (err) {
    if (isBridgeError(err, ErrorCode.QueueUnavailable)) {
      deps.log.error("queue unavailable", { source: source.name, event_id: event.id, error: describe(err) });
      return { response: QUEUE_UNAVAILABLE, outcome: "queue_unavailable", event };
    }
    throw err;
  }
  const body: Record<string, unknown> = { status: "accepted", event_id: event.id, upserts: deliverable ? 1 : 0 };
  if (message.events) body.events = message.events.length;
  if (!deliverable) body.dead_letter = DeadLetterReason.UidUnresolved;
  return { response: reply(202, body), outcome: deliverable ? "accepted" : DeadLetterReason.UidUnresolved, event };
}

/**
 * The text a UTF-8 round trip would give: lone surrogates become U+FFFD, as Buffer.from(text).toString()
 * makes them, without the two copies (a one-byte string is checked in constant time).
 * https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/String/toWellFormed
 */
function wellFormed(text: string): string {
  // ES2024 string methods (V8 11.1, Node 20), not yet in the ES2022 lib this project compiles against.
  const t = text as string & { isWellFormed(): boolean; toWellFormed(): string };
  return t.isWellFormed() ? text : t.toWellFormed();
}

function ignored(reason: string): Outcome {
  return { response: reply(200, { status: "ignored", reason }), outcome: "ignored" };
}

/** An error's code and class for the log, never its message (an SDK message may quote a value). */
function describe(err: unknown): string {
  if (isBridgeError(err)) return err.code;
  if (err instanceof Error) return (err as { code?: string }).code ?? err.name;
  return typeof err;
}
