import path from "node:path";
import type { Config } from "../functions/config";
import type { ParameterReader } from "../functions/secrets";
import { openLocalDatabase, openQueueStore } from "../local/queue-store";
import { openStateStore } from "../local/state-store";
import { localDetails, type LocalDetails } from "../local/status";
import { keyStatus } from "./status-key";
import type { StatusReport } from "./status-report";

/**
 * Local mode's status: the queue, dead letters and waiting letters read from the SQLite file under
 * BRIDGE_DATA_DIR (safe while `npm start` runs), the counts since start from the running bridge's
 * `GET /healthz?details` on HOST:PORT, and the key.
 */
export async function localStatus(config: Config, parameters: ParameterReader, fetchDetails = detailsFrom(config)): Promise<StatusReport> {
  const db = openLocalDatabase(config.dataDir);
  try {
    const store = openQueueStore({ dir: config.dataDir, db });
    const state = openStateStore({ dir: config.dataDir, db });
    const stored = await localDetails(store, state, () => ({}), Date.now());
    const running = await fetchDetails().catch(() => undefined);
    const base = `http://${config.host}:${config.port}`;
    return {
      where: `local mode (${path.resolve(config.dataDir)})`,
      queue: { depth: stored.queue.depth, oldestAgeSeconds: stored.queue.oldest_age_seconds },
      deadLetters: stored.dead_letters,
      waiting: stored.waiting,
      activity: running
        ? { window: "since start", bySource: running.counts }
        : { unavailable: `no bridge answering at ${base} (start it with npm start); the store above is read from disk` },
      key: await keyStatus(config.fullstory, parameters),
      dlqCommand: "npm run dlq -- list",
    };
  } finally {
    db.close();
  }
}

/** `GET /healthz?details` of the bridge on HOST:PORT, given a second to answer. */
function detailsFrom(config: Config): () => Promise<LocalDetails> {
  return async () => {
    const res = await fetch(`http://${config.host}:${config.port}/healthz?details`, { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return (await res.json()) as LocalDetails;
  };
}
