import { deliverBatch, type DeliverDeps } from "../functions/deliver-core";
import type { FullstoryClient } from "../functions/fullstory/client";
import type { Logger } from "../functions/log";
import type { QueueStore } from "./queue-store";

/** Time one batch may take, like a deliver Lambda's timeout; the lease (visibility) outlasts it. */
export const BATCH_BUDGET_MS = 30_000;

/**
 * Batches delivered at once, like concurrent Lambda containers: a batch ends with its slowest
 * message, so one slow Fullstory answer holds up only its own batch. Safe because the store leases
 * each group's head to one batch at a time.
 */
export const BATCH_WORKERS = 4;

export interface DeliveryLoopOptions {
  store: QueueStore;
  /** The deliver core's dependencies, all but the per-batch clock and queue, which the loop supplies. */
  deps: Omit<DeliverDeps, "remainingMs" | "queue" | "sleep">;
  pollMs: number;
  log: Logger;
  budgetMs?: number;
  workers?: number;
}

/**
 * Runs the deployed deliver core against the local queue, the way Lambda's SQS poller does, with
 * `workers` batches at once: receive a batch, deliver it within a time budget, delete what
 * succeeded, hand back what failed (which then waits with backoff, or becomes a dead letter once
 * its retry window is spent).
 * `stop` makes the current batch wind down (no new attempt starts, waits end early) and resolves
 * once it has been settled; messages it did not settle are released at the next start.
 */
export function startDeliveryLoop({ store, deps, pollMs, log, budgetMs = BATCH_BUDGET_MS, workers = BATCH_WORKERS }: DeliveryLoopOptions): { stop(): Promise<void> } {
  let stopping = false;
  const wakers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping) return resolve();
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
    });

  const once = async (): Promise<boolean> => {
    const batch = store.receive();
    if (batch.length === 0) return false;
    const deadline = Date.now() + budgetMs;
    const remainingMs = () => (stopping ? 0 : deadline - Date.now());
    let failed: Set<string>;
    let deferred = new Set<string>();
    try {
      const result = await deliverBatch(batch, { ...deps, queue: store, remainingMs, sleep });
      failed = new Set(result.failedIds);
      deferred = new Set(result.deferredIds);
    } catch (err) {
      log.error("delivery failed unexpectedly", { error: err instanceof Error ? err.name : typeof err });
      failed = new Set(batch.map((m) => m.id));
    }
    // Unattempted messages (stopping, or behind a failure of their group) are handed back as they
    // were: a shutdown is not a failed delivery, and must not push a message toward its retry limit.
    for (const m of batch) {
      if (deferred.has(m.id)) store.release(m.id);
      else if (failed.has(m.id)) store.fail(m.id);
      else store.ack(m.id);
    }
    return true;
  };

  const worker = async () => {
    while (!stopping) {
      let busy = false;
      try {
        busy = await once();
      } catch (err) {
        // The store itself failed (disk full, file removed): say so and keep polling.
        log.error("local queue failed", { error: err instanceof Error ? err.message : String(err) });
      }
      if (!busy) await sleep(pollMs);
    }
  };
  const running = Promise.all(Array.from({ length: workers }, worker));

  return {
    async stop() {
      stopping = true;
      for (const wake of [...wakers]) wake();
      await running;
    },
  };
}

/**
 * The Fullstory client of a dry run: prints each upsert and lifecycle event it would send as one JSON line on stdout
 * (this is the point of a dry run, so the body is printed, on the operator's own machine) and
 * sends nothing. The Authorization header is left out.
 */
export function createDryRunClient(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): FullstoryClient {
  return {
    async send(request) {
      write(
        JSON.stringify({
          dry_run: true,
          msg: "would send",
          method: request.method,
          url: `${request.origin}${request.path}`,
          idempotency_key: request.headers["idempotency-key"],
          [request.path.endsWith("/v2/events") ? "event" : "upsert"]: JSON.parse(request.body) as unknown,
        }),
      );
      return { kind: "ok", id: "dry-run" };
    },
  };
}
