import type Database from "better-sqlite3";
import { BridgeError, ErrorCode } from "../functions/errors";
import { FailureSchema } from "../functions/message";
import { stateKey, type ParkedLetter, type StateSnapshot, type StateStore, type WaitingLetter } from "../functions/state/port";
import { openLocalDatabase } from "./queue-store";

/**
 * Local mode's state store: tables in the same SQLite file as the queue (WAL, every commit durable,
 * so a `kill -9` loses nothing here either). Waiting letters are rows of the dead-letter table that
 * name the account they wait on, so `npm run dlq -- list` shows them with the other dead letters.
 */

const SCHEMA = `
CREATE TABLE IF NOT EXISTS uids (source TEXT NOT NULL, subject TEXT NOT NULL, uid TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (source, subject));
CREATE TABLE IF NOT EXISTS watermarks (source TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (source, key));
CREATE TABLE IF NOT EXISTS sent_events (id TEXT PRIMARY KEY, sent_at INTEGER NOT NULL);
`;

/** As on a stage: a day longer than a dead letter is kept (functions/state/dynamo.ts). */
const SENT_KEPT_MS = 15 * 86_400_000;

interface LetterRow {
  seq: number;
  group_id: string;
  dedup_id: string;
  body: string;
  failure: string;
  wait_source: string;
  wait_subject: string;
}

/** Wraps a storage failure as the port's retryable `state_unavailable`. */
function stored<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (cause) {
    return Promise.reject(new BridgeError(ErrorCode.StateUnavailable, "The local state could not be read or written.", { cause }));
  }
}

/**
 * Opens the state store in the data directory's SQLite file. Given the queue store's connection
 * (`db`), parking a received message takes it off the queue in the same commit; `close` releases
 * only a connection it opened itself.
 */
export function openStateStore({ dir, now = Date.now, db: shared }: { dir: string; now?: () => number; db?: Database.Database }): StateStore & { close(): void } {
  const db: Database.Database = shared ?? openLocalDatabase(dir);
  db.exec(SCHEMA);
  const q = {
    uid: db.prepare<[string, string], { uid: string }>("SELECT uid FROM uids WHERE source = ? AND subject = ?"),
    putUid: db.prepare("INSERT INTO uids (source, subject, uid, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (source, subject) DO UPDATE SET uid = excluded.uid, updated_at = excluded.updated_at"),
    watermark: db.prepare<[string, string], { at: number }>("SELECT at FROM watermarks WHERE source = ? AND key = ?"),
    raise: db.prepare("INSERT INTO watermarks (source, key, at) VALUES (?, ?, ?) ON CONFLICT (source, key) DO UPDATE SET at = excluded.at WHERE excluded.at > watermarks.at"),
    park: db.prepare("INSERT INTO dead_letters (group_id, dedup_id, body, failure, wait_source, wait_subject) VALUES (?, ?, ?, ?, ?, ?)"),
    waiting: db.prepare<[string, string], LetterRow>("SELECT * FROM dead_letters WHERE wait_source = ? AND wait_subject = ? ORDER BY seq"),
    all: db.prepare<[], LetterRow>("SELECT * FROM dead_letters WHERE wait_source IS NOT NULL ORDER BY seq"),
    unpark: db.prepare("DELETE FROM dead_letters WHERE seq = ?"),
    sent: db.prepare<[string], { id: string }>("SELECT id FROM sent_events WHERE id = ?"),
    markSent: db.prepare("INSERT OR IGNORE INTO sent_events (id, sent_at) VALUES (?, ?)"),
    queued: db.prepare<[number], { seq: number }>("SELECT seq FROM messages WHERE seq = ?"),
    dequeue: db.prepare("DELETE FROM messages WHERE seq = ?"),
  };
  db.prepare("DELETE FROM sent_events WHERE sent_at < ?").run(now() - SENT_KEPT_MS);
  const markSent = db.transaction((ids: string[]) => {
    for (const id of ids) q.markSent.run(id, now());
  });
  // A received message and its waiting letter change places in one commit, as with dead letters.
  const park = db.transaction((letter: WaitingLetter) => {
    if (letter.messageId !== undefined) {
      if (!q.queued.get(Number(letter.messageId))) return;
      q.dequeue.run(Number(letter.messageId));
    }
    q.park.run(letter.groupId, letter.deduplicationId, letter.body, JSON.stringify(letter.failure), letter.source, letter.subject);
  });
  const learn = db.transaction((source: string, subject: string, uid: string) => {
    const before = q.uid.get(source, subject)?.uid;
    if (before === uid) return { changed: false };
    q.putUid.run(source, subject, uid, now());
    return before === undefined ? { changed: true } : { changed: true, previous: before };
  });
  const letterOf = (row: LetterRow): ParkedLetter => ({
    id: String(row.seq),
    source: row.wait_source,
    subject: row.wait_subject,
    body: row.body,
    groupId: row.group_id,
    deduplicationId: row.dedup_id,
    failure: FailureSchema.parse(JSON.parse(row.failure)),
  });

  return {
    read: (request) =>
      stored(() => {
        const snapshot: StateSnapshot = { uids: new Map(), watermarks: new Map(), sent: new Set() };
        for (const { source, subject } of request.subjects) {
          const row = q.uid.get(source, subject);
          if (row) snapshot.uids.set(stateKey(source, subject), row.uid);
        }
        for (const { source, key } of request.orders) {
          const row = q.watermark.get(source, key);
          if (row) snapshot.watermarks.set(stateKey(source, key), row.at);
        }
        for (const id of request.sent ?? []) if (q.sent.get(id)) snapshot.sent.add(id);
        return snapshot;
      }),
    markSent: (ids) => stored(() => markSent(ids)),
    learn: (source, subject, uid) => stored(() => learn(source, subject, uid)),
    advance: (source, key, at) =>
      stored(() => {
        q.raise.run(source, key, at);
      }),
    park: (letter) => stored(() => park(letter)),
    waiting: (source, subject) => stored(() => q.waiting.all(source, subject).map(letterOf)),
    unpark: (letter) =>
      stored(() => {
        q.unpark.run(Number(letter.id));
      }),
    listParked: () => stored(() => q.all.all().map(letterOf)),
    close: () => {
      if (!shared) db.close();
    },
  };
}
