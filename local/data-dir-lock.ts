import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

/** The file whose lock marks a data directory as in use by one `npm start`. */
export const LOCK_FILE = "bridge.lock";
const PID_FILE = "bridge.pid";

/** Thrown when another process holds the data directory; the message says which and what to do. */
export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
}

/**
 * Holds an OS-level lock on `dir` for this process's life, so that two `npm start`s never deliver
 * from one queue (each would release the other's leases at start and send one user's messages
 * concurrently). The lock is SQLite's own exclusive file lock (POSIX advisory locks, taken with
 * fcntl) on a file of its own: the operating system drops it when the process ends, `kill -9`
 * included, so a crash never leaves a stale lock behind. The `dlq` tool does not take it: it only
 * reads and moves dead letters, which SQLite serialises. https://www.sqlite.org/lockingv3.html
 */
export function lockDataDir(dir: string): { release(): void } {
  const db = new Database(path.join(dir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code;
    if (code !== "SQLITE_BUSY") throw err;
    const holder = readPid(dir);
    throw new DataDirInUseError(
      `${path.resolve(dir)} is in use by another running bridge${holder ? ` (pid ${holder})` : ""}: stop it, or give this one its own BRIDGE_DATA_DIR.`,
    );
  }
  writeFileSync(path.join(dir, PID_FILE), `${process.pid}\n`);
  return {
    release() {
      db.exec("ROLLBACK");
      db.close();
    },
  };
}

function readPid(dir: string): string | undefined {
  try {
    return readFileSync(path.join(dir, PID_FILE), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
