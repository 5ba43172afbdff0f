import type { StateStore } from "../functions/state/port";
import type { QueueStore } from "./queue-store";

/** What local mode knows of itself, counts only: the queue, the letters, and what happened since it started. */
export interface LocalDetails {
  started_at: string;
  queue: { depth: number; oldest_age_seconds: number | null };
  dead_letters: Record<string, number>;
  waiting: Record<string, number>;
  /** Per source: webhooks and deliveries by outcome, Fullstory's answers, events sent, since start. */
  counts: Record<string, Record<string, number>>;
}

/**
 * Local mode's details for `GET /healthz?details` and `npm run status`: the queue's depth and the
 * age of its oldest message, dead letters and waiting letters by reason, and the counters since
 * start. No body, uid or key: counts and ages only.
 */
export async function localDetails(
  store: Pick<QueueStore, "depth" | "oldestQueuedAt" | "listDeadLetters">,
  state: Pick<StateStore, "listParked">,
  counts: () => Record<string, Record<string, number>>,
  startedAt: number,
  now = Date.now(),
): Promise<LocalDetails> {
  const waitingLetters = await state.listParked();
  const waitingIds = new Set(waitingLetters.map((l) => l.id));
  const oldest = store.oldestQueuedAt();
  return {
    started_at: new Date(startedAt).toISOString(),
    queue: { depth: store.depth(), oldest_age_seconds: oldest === undefined ? null : Math.max(0, Math.round((now - oldest) / 1000)) },
    dead_letters: byReason(store.listDeadLetters().filter((l) => !waitingIds.has(l.id)).map((l) => l.failure.reason)),
    waiting: byReason(waitingLetters.map((l) => l.failure.reason)),
    counts: counts(),
  };
}

const byReason = (reasons: string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of reasons) out[r] = (out[r] ?? 0) + 1;
  return out;
};
