import { createHash } from "node:crypto";
import type { Config } from "./config";
import { beforeDeadline } from "./deadline";
import { BridgeError, ErrorCode, isBridgeError } from "./errors";
import type { FullstoryClient, SendResult } from "./fullstory/client";
import { checkKeyRegion } from "./fullstory/region";
import { buildUpsertRequest } from "./fullstory/request";
import type { Logger } from "./log";
import { DeadLetterReason, QueueMessageSchema, deduplicationId, type Failure, type QueueMessage } from "./message";
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
  /**
   * Time left for this batch, already net of the caller's safety margin. Every request is cut off
   * when it runs out, so the batch's answer always comes before the invocation's deadline.
   */
  remainingMs(): number;
  /** No request to Fullstory starts with less time than this left (default 1 s). */
  minAttemptMs?: number;
  /** Groups sent at once (same group: always one after the other). */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => Date;
}

const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;
/** Time a request needs to be worth starting: a normal Fullstory answer takes a few hundred ms. */
export const MIN_ATTEMPT_MS = 1_000;
/**
 * The shortest wait after a 429, whatever its Retry-After says: `Retry-After: 0` from a rate limiter
 * must not turn into back-to-back resends from every group at once. Waits are spread by up to half
 * again, so groups that were refused together do not come back together.
 */
export const RETRY_AFTER_FLOOR_MS = 1_000;
/** Time a dead letter may take even when the attempt budget is spent (the handler's margin covers it). */
const DEAD_LETTER_MIN_MS = 1_000;
// A whole SQS batch (at most 10 messages) goes out in one round.
const DEFAULT_CONCURRENCY = 10;

/** `deferred`: not attempted (no time left, or blocked behind an earlier failure of its group). */
type Outcome = "delivered" | "dead_lettered" | "failed" | "deferred";

/** What a batch came to: the ids to hand back to the queue, and which of those were never attempted. */
export interface BatchResult {
  failedIds: string[];
  /** A subset of `failedIds`: local mode releases these without counting a failed delivery. */
  deferredIds: string[];
}

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
export async function deliverBatch(messages: InboundMessage[], deps: DeliverDeps): Promise<BatchResult> {
  const groups = new Map<string, InboundMessage[]>();
  for (const m of messages) groups.set(m.groupId, [...(groups.get(m.groupId) ?? []), m]);
  const key = batchKey(deps.getApiKey);
  const failed = new Set<string>();
  const deferred = new Set<string>();

  const runGroup = async (group: InboundMessage[]) => {
    for (const [i, m] of group.entries()) {
      const outcome = await deliverOne(m, key, deps);
      if (outcome === "failed" || outcome === "deferred") {
        for (const later of group.slice(i)) failed.add(later.id);
        if (outcome === "deferred") deferred.add(m.id);
        for (const later of group.slice(i + 1)) {
          deferred.add(later.id);
          log(deps, later, { outcome: "deferred", reason: "earlier_in_group_failed", blockedBy: m.id });
        }
        return;
      }
    }
  };
  const queue = [...groups.values()];
  const workers = Array.from({ length: Math.min(deps.concurrency ?? DEFAULT_CONCURRENCY, queue.length) }, async () => {
    for (let group = queue.shift(); group; group = queue.shift()) await runGroup(group);
  });
  await Promise.all(workers);
  const ids = (set: Set<string>) => messages.filter((m) => set.has(m.id)).map((m) => m.id);
  return { failedIds: ids(failed), deferredIds: ids(deferred) };
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
  const minAttemptMs = deps.minAttemptMs ?? MIN_ATTEMPT_MS;
  const apiUrl = deps.config.fullstory.apiUrl;
  let attempts = 0;
  let refreshed = false;
  let last: SendResult | undefined;
  if (deps.remainingMs() < minAttemptMs) {
    log(deps, m, { outcome: "deferred", message, attempts, error: "no_time_left" });
    return "deferred";
  }
  try {
    let apiKey = await beforeDeadline(key.get(), deps.remainingMs());
    for (;;) {
      checkKeyRegion(apiKey, deps.config.fullstory.region);
      // A request starts only with time for it left, and is cut off when that time is up: a
      // Lambda timeout would hand back the whole batch, the other users' delivered messages too.
      const remaining = deps.remainingMs();
      if (remaining < minAttemptMs) break;
      attempts++;
      const request = buildUpsertRequest({ apiUrl, apiKey, upsert, source: message.source, eventId: message.event_id });
      last = await deps.fullstory.send(request, { timeoutMs: remaining });
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
        apiKey = await beforeDeadline(key.refresh(apiKey), deps.remainingMs());
        continue;
      }
      const wait = retryWait(last, attempts, random);
      if (deps.remainingMs() - wait < minAttemptMs) break;
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
  if (attempts === 0) {
    log(deps, m, { outcome: "deferred", message, attempts, error: "no_time_left" });
    return "deferred";
  }
  const status = last && last.kind !== "ok" ? last.status : undefined;
  const code = last?.kind === "retryable" ? last.code : last?.kind === "auth" ? "unauthorized" : "no_time_left";
  log(deps, m, { outcome: "failed", message, attempts, status, error: code });
  return "failed";
}

/**
 * How long to wait before the next try: Retry-After when Fullstory gives one, floored and spread
 * (see RETRY_AFTER_FLOOR_MS); otherwise exponential backoff with full jitter.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
function retryWait(last: SendResult, attempts: number, random: () => number): number {
  if (last.kind === "retryable" && last.retryAfterMs !== undefined) {
    const base = Math.max(last.retryAfterMs, RETRY_AFTER_FLOOR_MS);
    return base + (random() * base) / 2;
  }
  return random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempts - 1));
}

/**
 * Parks `m` on the dead-letter queue; if that fails (or no time is left for it) the message is
 * reported failed, never lost. `m.id` goes with the letter: the SQS adapter derives the letter's
 * deduplication id from it, so a message parked twice (its batch timed out after the letter was
 * sent) is one letter, and local mode removes `m` from its queue in the same transaction.
 */
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
    const letter = { body: m.body, groupId: m.groupId, deduplicationId: dedup, messageId: m.id, failure: { ...failure, first_failed_at: now.toISOString() } };
    // Parking runs even after the attempt budget is spent: it has the caller's safety margin.
    await deps.queue.deadLetter(letter, { timeoutMs: Math.max(deps.remainingMs(), DEAD_LETTER_MIN_MS) });
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
