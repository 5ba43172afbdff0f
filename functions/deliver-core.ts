import { createHash } from "node:crypto";
import type { Config } from "./config";
import { BridgeError, ErrorCode, isBridgeError } from "./errors";
import type { FullstoryClient, SendResult } from "./fullstory/client";
import { checkKeyRegion } from "./fullstory/region";
import { buildUpsertRequest } from "./fullstory/request";
import type { Logger } from "./log";
import { DeadLetterReason, QueueMessageSchema, deduplicationId, idempotencyKey, type Failure, type QueueMessage } from "./message";
import type { ParameterStore } from "./parameters";
import type { QueuePort } from "./queue/port";

/** One message as the queue hands it over, free of SQS types so local mode can feed the same core. */
export interface InboundMessage {
  id: string;
  body: string;
  groupId: string;
  receiveCount: number;
}

export interface DeliverDeps {
  config: Pick<Config, "fullstory">;
  /** The Fullstory key; `forceRefresh` after a 401/403, as it may have been rotated. */
  getApiKey(forceRefresh?: boolean): Promise<string>;
  fullstory: FullstoryClient;
  queue: QueuePort;
  logger: Logger;
  /** Time left for this batch, already net of the caller's safety margin. */
  remainingMs(): number;
  /** Time one send may take at worst: no retry starts without this much left. */
  attemptMs: number;
  /** Groups sent at once (same group: always one after the other). */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => Date;
}

const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;
// A whole SQS batch (at most 10 messages) goes out in one round.
const DEFAULT_CONCURRENCY = 10;

type Outcome = "delivered" | "dead_lettered" | "failed";

/**
 * Where the Fullstory key comes from: inline (`FULLSTORY_API_KEY`, local use) or the SSM parameter
 * named by `FULLSTORY_API_KEY_PARAMETER` through the cached parameter store. Without either the
 * returned getter throws `config_invalid`.
 */
export function apiKeyGetter(config: Pick<Config, "fullstory">, parameters: ParameterStore): DeliverDeps["getApiKey"] {
  const { apiKey, apiKeyParameter } = config.fullstory;
  if (apiKey) return async () => apiKey;
  if (apiKeyParameter) return (forceRefresh) => parameters.get(apiKeyParameter, { forceRefresh });
  return async () => {
    throw new BridgeError(ErrorCode.ConfigInvalid, "Set FULLSTORY_API_KEY_PARAMETER (or FULLSTORY_API_KEY) to deliver.");
  };
}

/**
 * Delivers one batch and returns the ids to hand back to the queue (SQS partial batch response).
 * Each message ends delivered, dead-lettered with its reason, or failed (retryable: the queue
 * redelivers it, and SQS's redrive policy parks it after maxReceiveCount). FIFO: groups run
 * concurrently, a group's messages strictly in order, and after a failure the group's later
 * messages fail unsent, as in Powertools' SqsFifoPartialProcessor.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/batch/#fifo-queues
 */
export async function deliverBatch(messages: InboundMessage[], deps: DeliverDeps): Promise<{ failedIds: string[] }> {
  const groups = new Map<string, InboundMessage[]>();
  for (const m of messages) groups.set(m.groupId, [...(groups.get(m.groupId) ?? []), m]);
  const key = batchKey(deps.getApiKey);
  const failed = new Set<string>();

  const runGroup = async (group: InboundMessage[]) => {
    for (const [i, m] of group.entries()) {
      if ((await deliverOne(m, key, deps)) === "failed") {
        for (const later of group.slice(i)) failed.add(later.id);
        for (const later of group.slice(i + 1)) log(deps, later, { outcome: "failed", reason: "earlier_in_group_failed", blockedBy: m.id });
        return;
      }
    }
  };
  const queue = [...groups.values()];
  const workers = Array.from({ length: Math.min(deps.concurrency ?? DEFAULT_CONCURRENCY, queue.length) }, async () => {
    for (let group = queue.shift(); group; group = queue.shift()) await runGroup(group);
  });
  await Promise.all(workers);
  return { failedIds: messages.filter((m) => failed.has(m.id)).map((m) => m.id) };
}

/**
 * The key for one batch, fetched once. A refresh after a 401 is shared by every group that saw the
 * same stale key, so concurrent 401s cost one SSM call.
 */
function batchKey(getApiKey: DeliverDeps["getApiKey"]) {
  let current: Promise<string> | undefined;
  const refreshes = new Map<string, Promise<string>>();
  return {
    get: () => (current ??= getApiKey()),
    refresh(stale: string): Promise<string> {
      let fresh = refreshes.get(stale);
      if (!fresh) {
        fresh = getApiKey(true);
        refreshes.set(stale, fresh);
        current = fresh;
      }
      return fresh;
    },
  };
}

async function deliverOne(m: InboundMessage, key: ReturnType<typeof batchKey>, deps: DeliverDeps): Promise<Outcome> {
  let message: QueueMessage;
  try {
    message = QueueMessageSchema.parse(JSON.parse(m.body));
  } catch {
    return deadLetter(deps, m, undefined, { reason: DeadLetterReason.InvalidMessage, attempts: 0 });
  }
  const { upsert } = message;
  if (upsert === null) return deadLetter(deps, m, message, { reason: DeadLetterReason.UidUnresolved, attempts: 0 });

  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const idemKey = idempotencyKey(message.source, message.event_id, upsert.uid);
  let attempts = 0;
  let refreshed = false;
  let last: SendResult | undefined;
  try {
    let apiKey = await key.get();
    for (;;) {
      checkKeyRegion(apiKey, deps.config.fullstory.region);
      // The first send goes out whenever time is left: a Lambda timeout mid-send only returns the
      // batch to the queue, and the Idempotency-Key makes the resend harmless. Later sends only
      // when a whole one fits, so a short function timeout still makes progress.
      if (deps.remainingMs() < (attempts === 0 ? 1 : deps.attemptMs)) break;
      attempts++;
      last = await deps.fullstory.send(buildUpsertRequest({ apiUrl: deps.config.fullstory.apiUrl, apiKey, upsert, idempotencyKey: idemKey }));
      if (last.kind === "ok") {
        log(deps, m, { outcome: "delivered", message, attempts, fullstoryId: last.id });
        return "delivered";
      }
      if (last.kind === "permanent") {
        const { status, code, message: text } = last;
        return deadLetter(deps, m, message, { reason: DeadLetterReason.Rejected, status, code, message: text, attempts });
      }
      if (last.kind === "auth" && !refreshed) {
        refreshed = true;
        apiKey = await key.refresh(apiKey);
        continue;
      }
      // Full jitter: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
      const backoff = random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempts - 1));
      const wait = last.kind === "retryable" && last.retryAfterMs !== undefined ? last.retryAfterMs : backoff;
      if (deps.remainingMs() - wait < deps.attemptMs) break;
      await sleep(wait);
    }
  } catch (err) {
    if (isBridgeError(err, ErrorCode.RegionMismatch)) {
      return deadLetter(deps, m, message, { reason: DeadLetterReason.RegionMismatch, message: err.message, attempts });
    }
    const code = isBridgeError(err) ? err.code : ((err as { code?: string }).code ?? "unexpected");
    log(deps, m, { outcome: "failed", message, attempts, error: code });
    return "failed";
  }
  const status = last && last.kind !== "ok" ? last.status : undefined;
  const code = last?.kind === "retryable" ? last.code : last?.kind === "auth" ? "unauthorized" : "no_time_left";
  log(deps, m, { outcome: "failed", message, attempts, status, error: code });
  return "failed";
}

/** Parks `m` on the dead-letter queue; if that fails the message is reported failed, never lost. */
async function deadLetter(
  deps: DeliverDeps,
  m: InboundMessage,
  message: QueueMessage | undefined,
  failure: Omit<Failure, "first_failed_at">,
): Promise<Outcome> {
  const dedup = message
    ? deduplicationId(message.source, message.event_id, message.upsert?.uid ?? null)
    : createHash("sha256").update(m.body).digest("hex");
  const now = deps.now?.() ?? new Date();
  try {
    await deps.queue.deadLetter({ body: m.body, groupId: m.groupId, deduplicationId: dedup, failure: { ...failure, first_failed_at: now.toISOString() } });
  } catch (err) {
    log(deps, m, { outcome: "failed", message, attempts: failure.attempts, reason: failure.reason, error: isBridgeError(err) ? err.code : "dead_letter_failed" });
    return "failed";
  }
  log(deps, m, { outcome: "dead_lettered", message, attempts: failure.attempts, status: failure.status, reason: failure.reason, error: failure.code });
  return "dead_lettered";
}

/** One JSON line per message: ids, outcome, counts and codes only, never the key, an email or a body. */
function log(
  deps: DeliverDeps,
  m: InboundMessage,
  f: {
    outcome: Outcome;
    message?: QueueMessage;
    attempts?: number;
    status?: number;
    reason?: string;
    error?: string;
    blockedBy?: string;
    fullstoryId?: string;
  },
): void {
  const fields = {
    message_id: m.id,
    receive_count: m.receiveCount,
    event_id: f.message?.event_id,
    source: f.message?.source,
    event_type: f.message?.event_type,
    outcome: f.outcome,
    attempts: f.attempts ?? 0,
    status: f.status,
    reason: f.reason,
    error: f.error,
    blocked_by: f.blockedBy,
    // Fullstory's own id of the user ("dry-run" when local mode sends nothing).
    fullstory_id: f.fullstoryId,
  };
  if (f.outcome === "failed") deps.logger.warn("deliver", fields);
  else deps.logger.info("deliver", fields);
}
