import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { BridgeError, ErrorCode } from "../functions/errors";
import { DeadLetterReason, FailureSchema, type Failure, type QueueEntry } from "../functions/message";
import type { InboundMessage } from "../functions/deliver-core";
import type { DeadLetter, QueuePort } from "../functions/queue/port";

/**
 * Local mode's stand-in for SQS FIFO: one SQLite file under the data directory holding the main
 * queue and the dead letters. WAL with `synchronous=FULL` makes every commit durable before it
 * returns, so a 202 survives `kill -9` or a power cut. https://www.sqlite.org/pragma.html#pragma_synchronous
 */

/** A stored dead letter, with the id the `dlq` tool addresses it by. */
export interface StoredDeadLetter extends DeadLetter {
  id: string;
}

export interface QueueStoreOptions {
  dir: string;
  now?: () => number;
  /** How long a received message stays invisible to other receives (a lease). */
  visibilityMs?: number;
  /** A connection to the file already open (shared with the state store, so both commit together); closed by its owner. */
  db?: Database.Database;
}

export const STORE_DEFAULTS = {
  /** SQS FIFO's deduplication interval. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html */
  dedupWindowMs: 5 * 60_000,
  visibilityMs: 60_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 30_000,
  /** Like a deployed stage's redrive policy: keep retrying at least this long before giving up. */
  retryWindowMs: 15 * 60_000,
  batchSize: 10,
} as const;

export const STORE_FILE = "queue.sqlite";

export interface QueueStore extends QueuePort {
  /** Up to `max` due messages, at most one per FIFO group: the group's oldest, when nothing of the group is in flight. */
  receive(max?: number): InboundMessage[];
  ack(id: string): void;
  /** Records a failed delivery: the message waits with backoff, or becomes a dead letter once its retry window is spent. */
  fail(id: string): void;
  /** Hands a received message back unattempted: deliverable again at once, no failure counted. */
  release(id: string): void;
  /** Makes every in-flight message deliverable again: for a consumer starting after a crash. */
  releaseLeases(): number;
  /** Messages on the main queue (pending and in flight). */
  depth(): number;
  /** When the oldest message on the main queue was queued (ms since the epoch), if there is one. */
  oldestQueuedAt(): number | undefined;
  listDeadLetters(): StoredDeadLetter[];
  /**
   * Moves a dead letter back onto the main queue under a fresh deduplication id, as it was or as
   * `replacement` (a re-normalised message, whose uid and so group may differ). False when gone.
   */
  redrive(id: string, replacement?: { body: string; groupId: string }): boolean;
  purgeDeadLetters(): number;
  close(): void;
}

interface MessageRow {
  seq: number;
  group_id: string;
  dedup_id: string;
  body: string;
  receives: number;
  failures: number;
  first_failed_at: number | null;
}

interface DeadRow {
  seq: number;
  group_id: string;
  dedup_id: string;
  body: string;
  failure: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  body TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  lease_until INTEGER,
  receives INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  first_failed_at INTEGER
);
CREATE INDEX IF NOT EXISTS messages_group ON messages (group_id, seq);
CREATE TABLE IF NOT EXISTS dedup (dedup_id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  body TEXT NOT NULL,
  failure TEXT NOT NULL
);
`;

/**
 * Columns added since the first release, so that a data directory made by it opens unchanged: a
 * dead letter waiting for its account's uid to be learned (see local/state-store.ts) names that
 * account, and the state store redrives it once the uid is known; a message says when it was
 * queued (for the age of the oldest, `npm run status`).
 */
const ADDED_COLUMNS: readonly { table: string; column: string; type: string }[] = [
  { table: "dead_letters", column: "wait_source", type: "TEXT" },
  { table: "dead_letters", column: "wait_subject", type: "TEXT" },
  { table: "messages", column: "queued_at", type: "INTEGER" },
];

/** Creates the local store's tables in `db`, and the columns an older file lacks. */
export function migrate(db: Database.Database): void {
  db.exec(SCHEMA);
  for (const { table, column, type } of ADDED_COLUMNS) {
    const columns = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all();
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
  db.exec("CREATE INDEX IF NOT EXISTS dead_letters_waiting ON dead_letters (wait_source, wait_subject, seq)");
}

/** Opens the local SQLite file under `dir` (created with its tables when missing), durable on every commit. */
export function openLocalDatabase(dir: string): Database.Database {
  mkdirSync(dir, { recursive: true });
  const db = new Database(path.join(dir, STORE_FILE));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

/** Exponential backoff for the n-th failure (1-based), capped; no jitter: one local consumer has no herd to spread. */
export function backoffMs(failures: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(STORE_DEFAULTS.backoffCapMs, STORE_DEFAULTS.backoffBaseMs * 2 ** exponent);
}

/** Wraps a storage failure as the port's `queue_unavailable`, so ingest answers 503 and nothing is acknowledged. */
function durably<T>(what: string, work: () => T): T {
  try {
    return work();
  } catch (cause) {
    throw new BridgeError(ErrorCode.QueueUnavailable, `The local queue could not ${what}.`, { cause });
  }
}

/**
 * Opens (creating when missing) the queue under `dir`. Safe to open from two processes at once, the
 * bridge and the `dlq` tool: SQLite serialises writers and the busy timeout makes one wait for the other.
 * Only the consumer should call `releaseLeases`, once, before its first receive.
 */
export function openQueueStore({ dir, now = Date.now, visibilityMs = STORE_DEFAULTS.visibilityMs, db: shared }: QueueStoreOptions): QueueStore {
  const db = shared ?? openLocalDatabase(dir);

  const q = {
    dedupSeen: db.prepare<[string, number], { n: number }>("SELECT 1 AS n FROM dedup WHERE dedup_id = ? AND expires_at > ?"),
    dedupPut: db.prepare("INSERT OR REPLACE INTO dedup (dedup_id, expires_at) VALUES (?, ?)"),
    dedupExpire: db.prepare("DELETE FROM dedup WHERE expires_at <= ?"),
    insert: db.prepare("INSERT INTO messages (group_id, dedup_id, body, due_at, queued_at) VALUES (?, ?, ?, ?, ?)"),
    oldest: db.prepare<[], { at: number | null }>("SELECT MIN(COALESCE(queued_at, due_at)) AS at FROM messages"),
    heads: db.prepare<[number, number, number], MessageRow>(
      `SELECT m.* FROM messages m
       JOIN (SELECT group_id, MIN(seq) AS seq FROM messages GROUP BY group_id) h ON h.seq = m.seq
       WHERE m.due_at <= ? AND (m.lease_until IS NULL OR m.lease_until <= ?)
       ORDER BY m.seq LIMIT ?`,
    ),
    lease: db.prepare("UPDATE messages SET lease_until = ?, receives = receives + 1 WHERE seq = ?"),
    get: db.prepare<[number], MessageRow>("SELECT * FROM messages WHERE seq = ?"),
    remove: db.prepare("DELETE FROM messages WHERE seq = ?"),
    retryLater: db.prepare("UPDATE messages SET lease_until = NULL, due_at = ?, failures = ?, first_failed_at = ? WHERE seq = ?"),
    release: db.prepare("UPDATE messages SET lease_until = NULL WHERE lease_until IS NOT NULL"),
    releaseOne: db.prepare("UPDATE messages SET lease_until = NULL WHERE seq = ?"),
    depth: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM messages"),
    bury: db.prepare("INSERT INTO dead_letters (group_id, dedup_id, body, failure) VALUES (?, ?, ?, ?)"),
    deadAll: db.prepare<[], DeadRow>("SELECT * FROM dead_letters ORDER BY seq"),
    deadGet: db.prepare<[number], DeadRow>("SELECT * FROM dead_letters WHERE seq = ?"),
    deadRemove: db.prepare("DELETE FROM dead_letters WHERE seq = ?"),
    deadPurge: db.prepare("DELETE FROM dead_letters"),
  };

  const bury = (letter: DeadLetter) => q.bury.run(letter.groupId, letter.deduplicationId, letter.body, JSON.stringify(letter.failure));

  // Parking a received message and taking it off the queue are one commit: a crash in between
  // can leave neither a lost message nor a second dead letter.
  const buryReceived = db.transaction((letter: DeadLetter) => {
    if (letter.messageId !== undefined) {
      if (!q.get.get(Number(letter.messageId))) return; // Already settled (parked or acknowledged) once.
      q.remove.run(Number(letter.messageId));
    }
    bury(letter);
  });

  const send = db.transaction((entry: QueueEntry) => {
    const t = now();
    q.dedupExpire.run(t);
    // A duplicate within the window is acknowledged without storing it twice, as SQS FIFO does.
    if (q.dedupSeen.get(entry.deduplicationId, t)) return;
    q.dedupPut.run(entry.deduplicationId, t + STORE_DEFAULTS.dedupWindowMs);
    q.insert.run(entry.groupId, entry.deduplicationId, entry.body, t, t);
  });

  const receive = db.transaction((max: number): InboundMessage[] => {
    const t = now();
    const rows = q.heads.all(t, t, Math.min(max, STORE_DEFAULTS.batchSize));
    for (const row of rows) q.lease.run(t + visibilityMs, row.seq);
    return rows.map((row) => ({ id: String(row.seq), body: row.body, groupId: row.group_id, receiveCount: row.receives + 1 }));
  });

  const fail = db.transaction((id: string) => {
    const row = q.get.get(Number(id));
    if (!row) return;
    const t = now();
    const failures = row.failures + 1;
    const firstFailedAt = row.first_failed_at ?? t;
    if (t - firstFailedAt >= STORE_DEFAULTS.retryWindowMs) {
      const failure: Failure = {
        reason: DeadLetterReason.RetriesExhausted,
        attempts: failures,
        first_failed_at: new Date(firstFailedAt).toISOString(),
      };
      bury({ body: row.body, groupId: row.group_id, deduplicationId: row.dedup_id, failure });
      q.remove.run(row.seq);
      return;
    }
    q.retryLater.run(t + backoffMs(failures), failures, firstFailedAt, row.seq);
  });

  const redrive = db.transaction((id: string, replacement?: { body: string; groupId: string }): boolean => {
    const row = q.deadGet.get(Number(id));
    if (!row) return false;
    // A fresh deduplication id: the original one may still be inside the window, and a redrive
    // must never be dropped as a duplicate. Fullstory's Idempotency-Key still derives from
    // source + event id + uid, so a redriven event is the same request to Fullstory.
    q.insert.run(replacement?.groupId ?? row.group_id, randomUUID(), replacement?.body ?? row.body, now(), now());
    q.deadRemove.run(row.seq);
    return true;
  });

  return {
    send: async (entry) => durably("store the message", () => send(entry)),
    deadLetter: async (letter) => {
      durably("store the dead letter", () => buryReceived(letter));
    },
    receive: (max = STORE_DEFAULTS.batchSize) => receive(max),
    ack: (id) => {
      q.remove.run(Number(id));
    },
    fail: (id) => fail(id),
    release: (id) => {
      q.releaseOne.run(Number(id));
    },
    releaseLeases: () => q.release.run().changes,
    depth: () => q.depth.get()?.n ?? 0,
    oldestQueuedAt: () => q.oldest.get()?.at ?? undefined,
    listDeadLetters: () =>
      q.deadAll.all().map((row) => ({
        id: String(row.seq),
        body: row.body,
        groupId: row.group_id,
        deduplicationId: row.dedup_id,
        failure: FailureSchema.parse(JSON.parse(row.failure)),
      })),
    redrive: (id, replacement) => redrive(id, replacement),
    purgeDeadLetters: () => q.deadPurge.run().changes,
    close: () => {
      if (!shared) db.close();
    },
  };
}
