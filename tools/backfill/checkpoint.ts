import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import * as z from "zod";
import type { Cursor } from "./source";

/**
 * The checkpoint: where a backfill stands, so that an interrupted run continues where it stopped
 * without sending a finished job again. One JSON file (default `.backfill/<source>-<where>.json`),
 * replaced atomically (written beside, flushed, renamed over), so a crash leaves the old one or
 * the new one, never half of either.
 *
 * A job goes `sealed` (its users fixed and written beside the checkpoint, its Idempotency-Key
 * chosen, the cursor moved past them) → `created` (Fullstory named its id; the users' file is
 * deleted) → `done` (COMPLETED or FAILED, its rejections fetched). Resuming sends a sealed job
 * again with the same key and body, so Fullstory answers with the job it may already have
 * created, and polls a created job by its id.
 */

const JobSchema = z.object({
  n: z.number().int().positive(),
  key: z.string().min(1),
  users: z.number().int().positive(),
  state: z.enum(["sealed", "created", "done"]),
  id: z.string().optional(),
  /** COMPLETED, FAILED, or NOT_FOUND (Fullstory no longer knew the id when it was polled). */
  outcome: z.enum(["COMPLETED", "FAILED", "NOT_FOUND"]).optional(),
  imported: z.number().int().nonnegative().optional(),
  rejected: z.array(z.object({ uid: z.string().optional(), code: z.string(), message: z.string() })).optional(),
});
export type CheckpointJob = z.infer<typeof JobSchema>;

const CursorSchema: z.ZodType<Cursor> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(CursorSchema), z.record(z.string(), CursorSchema)]),
);

export const CheckpointSchema = z.object({
  version: z.literal(1),
  source: z.string(),
  /** `local` or `stage <name>`: a checkpoint is only resumed against the same place. */
  target: z.string(),
  /** The run's options, which a resumed run must repeat. */
  since: z.string().nullable(),
  limit: z.number().int().positive().nullable(),
  started_at: z.string(),
  updated_at: z.string(),
  /** Past the last account whose outcome is settled (in a job, or unresolved); undefined: the start. */
  cursor: CursorSchema.optional(),
  /** Every account has been read (or `limit` reached). */
  read_all: z.boolean(),
  totals: z.object({
    read: z.number().int().nonnegative(),
    learned: z.number().int().nonnegative(),
  }),
  /** Accounts without a resolvable uid: their provider ids. */
  unresolved: z.array(z.string()),
  /** Accounts whose upsert breaks Fullstory's limits (not sent), with the offending fields. */
  not_sent: z.array(z.object({ subject: z.string(), issues: z.array(z.string()) })),
  jobs: z.array(JobSchema),
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** The default checkpoint file for `source` at `where` (`local` or the stage's name). */
export function defaultCheckpointPath(source: string, where: string): string {
  return path.join(".backfill", `${source}-${where}.json`);
}

/** Where a sealed job's request body waits until Fullstory has named the job. */
export function jobFile(checkpointPath: string, n: number): string {
  return `${checkpointPath.replace(/\.json$/, "")}.job-${n}.json`;
}

/** Writes `text` to `file` atomically: a temporary file beside it, flushed to disk, renamed over it. */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

/** The checkpoint at `file`, or undefined when there is none; throws naming the file when it is unreadable. */
export function loadCheckpoint(file: string): Checkpoint | undefined {
  if (!existsSync(file)) return undefined;
  let parsed;
  try {
    parsed = CheckpointSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  } catch (cause) {
    throw new Error(`The checkpoint ${file} is not JSON: move it away, or run with --restart.`, { cause });
  }
  if (!parsed.success) throw new Error(`The checkpoint ${file} is not one this version writes: move it away, or run with --restart.`);
  return parsed.data;
}

/** Saves `checkpoint` to `file` atomically, stamped with the time. */
export function saveCheckpoint(file: string, checkpoint: Checkpoint, now = new Date()): void {
  checkpoint.updated_at = now.toISOString();
  writeAtomic(file, `${JSON.stringify(checkpoint, null, 1)}\n`);
}

/** Removes the checkpoint and every job file beside it (`--restart`). */
export function removeCheckpoint(file: string, checkpoint: Checkpoint | undefined): void {
  for (const job of checkpoint?.jobs ?? []) rmSync(jobFile(file, job.n), { force: true });
  rmSync(file, { force: true });
}

/** A checkpoint made with other options than these cannot be resumed with them. */
export class CheckpointMismatch extends Error {
  override readonly name = "CheckpointMismatch";
}

/** What a checkpoint is made for: a resumed run must ask for the same. */
export interface CheckpointFor {
  source: string;
  target: string;
  since: string | null;
  limit: number | null;
}

/**
 * The checkpoint a run goes on with: the one at `file` when it was made for the same `what`, else
 * a fresh one (a dry run, `restart`, which also removes the old one and its job files, or none
 * yet). Throws CheckpointMismatch, naming the options it was made with, when they differ.
 */
export function openCheckpoint(file: string, what: CheckpointFor, { dryRun, restart, now }: { dryRun: boolean; restart: boolean; now: Date }): Checkpoint {
  const fresh = (): Checkpoint => ({
    version: 1,
    ...what,
    started_at: now.toISOString(),
    updated_at: now.toISOString(),
    read_all: false,
    totals: { read: 0, learned: 0 },
    unresolved: [],
    not_sent: [],
    jobs: [],
  });
  if (dryRun) return fresh();
  const existing = loadCheckpoint(file);
  if (restart) removeCheckpoint(file, existing);
  if (!existing || restart) return fresh();
  const differs = (Object.keys(what) as (keyof CheckpointFor)[]).filter((k) => existing[k] !== what[k]);
  if (differs.length > 0) {
    const was = differs.map((k) => `${k} ${JSON.stringify(existing[k])}`).join(", ");
    throw new CheckpointMismatch(`The checkpoint ${file} was made with ${was}: run with the same options to resume it, or add --restart to start over.`);
  }
  return existing;
}
