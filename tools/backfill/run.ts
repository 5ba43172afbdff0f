import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { stateKey, type StateStore } from "../../functions/state/port";
import { patchLimitIssues, type Upsert } from "../../functions/upsert";
import { jobFile, openCheckpoint, saveCheckpoint, writeAtomic, type CheckpointJob } from "./checkpoint";
import type { FullstoryBatch } from "./fullstory-batch";
import type { Progress } from "./progress";
import { Interrupted, bridgeVerdict, mapLimit, retrying, sleep, type Waits } from "./retry";
import type { BackfillRecord, BackfillSource } from "./source";
import { summarize, type Summary } from "./summary";

/**
 * The backfill itself: reads the source page by page, resolves each account's uid (its own
 * record's, else the identity directory's) and teaches the directory what it finds, gathers the
 * upserts into jobs of `jobSize` users, and has Fullstory import them, a few jobs at a time. The
 * checkpoint moves only when a job is sealed (see checkpoint.ts), so whatever happens, a resumed
 * run neither skips an account nor sends a finished job again.
 */

/**
 * Jobs created and not yet finished, at most. Fullstory starts at most 100 jobs of an organisation
 * at once and refuses new ones (429) past 200 or 500 000 users in progress, counting every
 * integration of the organisation: the backfill keeps to a couple, which is also all it needs,
 * reading being slower than importing.
 */
export const MAX_JOBS_IN_FLIGHT = 2;
/** The first wait before asking about a job; doubled after each answer that it is still processing, up to POLL_CAP_MS. */
export const FIRST_POLL_MS = 2_000;
export const POLL_CAP_MS = 30_000;
/** Directory lookups and lessons at once. */
const DIRECTORY_CONCURRENCY = 8;

export interface BackfillOptions {
  dryRun: boolean;
  limit?: number;
  since?: Date;
  jobSize: number;
  /** Replace an existing checkpoint instead of resuming it. */
  restart: boolean;
}

export interface BackfillDeps {
  source: BackfillSource;
  /** Fullstory's batch import; unused in a dry run. */
  batch?: FullstoryBatch;
  /** The identity directory; absent when the stage names no state table. */
  state?: StateStore;
  checkpointPath: string;
  /** `local` or `stage <name>`: recorded in the checkpoint, which is only resumed against the same place. */
  target: string;
  progress: Progress;
  /** Aborted by Ctrl-C (and by the run itself when it fails): reading stops after the current page, waits end. */
  stop: AbortController;
  /** The budget and clock for retried calls (its signal is `stop`'s). */
  waits: Waits;
  /** A dry run's output: one upsert a line. */
  print: (line: string) => void;
  /** The first wait before a job is polled (FIRST_POLL_MS); tests and the benchmark shorten it. */
  firstPollMs?: number;
  now?: () => number;
}

/** A record with its uid settled (or not) and what learning it taught the directory. */
interface Settled {
  record: BackfillRecord;
  uid?: string;
  learned: boolean;
  issues: string[];
}

/** Runs (or resumes) one backfill and resolves with its summary; never rejects for a failure of the run itself. */
export async function runBackfill(d: BackfillDeps, o: BackfillOptions): Promise<Summary> {
  const now = d.now ?? Date.now;
  const startedAt = now();
  const cp = openCheckpoint(
    d.checkpointPath,
    { source: d.source.name, target: d.target, since: o.since?.toISOString() ?? null, limit: o.limit ?? null },
    { dryRun: o.dryRun, restart: o.restart, now: new Date(startedAt) },
  );
  const source = d.source.name;
  const save = () => {
    if (!o.dryRun) saveCheckpoint(d.checkpointPath, cp);
  };
  const jobDone = (job: CheckpointJob) => job.state === "done";
  if (cp.read_all && cp.jobs.every(jobDone)) return summarize(cp, { outcome: "complete", alreadyComplete: true, checkpoint: d.checkpointPath, readThisRun: 0, elapsedMs: 0, dryRun: o.dryRun });
  save();

  const signal = d.stop.signal;
  let failure: unknown;
  const fail = (err: unknown) => {
    if (err instanceof Interrupted) return;
    failure ??= err;
    d.stop.abort();
  };

  let readThisRun = 0;
  let buffer: Settled[] = [];
  let buffered = 0;
  const inFlight = new Set<Promise<void>>();
  const counts = () => {
    const sent = cp.jobs.filter((j) => j.state !== "sealed").reduce((n, j) => n + j.users, 0);
    const imported = cp.jobs.reduce((n, j) => n + (j.imported ?? 0), 0);
    const rejected = cp.jobs.reduce((n, j) => n + (j.rejected?.length ?? 0), 0);
    const read = cp.totals.read + buffer.length;
    const unresolved = cp.unresolved.length + buffer.filter((s) => s.uid === undefined).length;
    return { read, sent: o.dryRun ? 0 : sent, imported, rejected, unresolved, jobsInFlight: inFlight.size };
  };
  const update = () => d.progress.update(counts());

  /** Creates a sealed job (once), then polls it until Fullstory has finished it. Ctrl-C leaves it for the next run. */
  const drive = async (job: CheckpointJob): Promise<void> => {
    const batch = d.batch as FullstoryBatch;
    if (job.state === "sealed") {
      const file = jobFile(d.checkpointPath, job.n);
      if (!existsSync(file)) throw new Error(`Job ${job.n}'s users (${file}) are missing: run again with --restart to send everything again.`);
      job.id = await batch.create(readFileSync(file, "utf8"), job.key);
      job.state = "created";
      save();
      rmSync(file, { force: true });
      update();
      d.progress.note(`job ${job.n}: ${job.users.toLocaleString("en-US")} users sent (Fullstory job ${job.id})`);
    }
    const id = job.id as string;
    for (let wait = d.firstPollMs ?? FIRST_POLL_MS; ; wait = Math.min(wait * 2, POLL_CAP_MS)) {
      await sleep(wait, signal);
      const state = await batch.status(id);
      if (state !== "not_found" && state.status === "PROCESSING") continue;
      if (state === "not_found") {
        Object.assign(job, { state: "done", outcome: "NOT_FOUND" });
      } else {
        const errors = state.errors > 0 || state.status === "FAILED" ? await batch.errors(id) : [];
        if (errors === "processing") continue;
        Object.assign(job, { state: "done", outcome: state.status, imported: state.imports, rejected: errors });
      }
      save();
      update();
      d.progress.note(`job ${job.n}: ${job.outcome}, ${(job.imported ?? 0).toLocaleString("en-US")} imported, ${(job.rejected?.length ?? 0).toLocaleString("en-US")} rejected`);
      return;
    }
  };
  const start = (job: CheckpointJob) => {
    const running: Promise<void> = drive(job)
      .catch(fail)
      .finally(() => {
        inFlight.delete(running);
        update();
      });
    inFlight.add(running);
  };

  /** The directory's uid for records that name none; lessons for those that do and are news to it. */
  const settle = async (records: BackfillRecord[]): Promise<Settled[]> => {
    const state = d.state;
    let known = new Map<string, string>();
    if (state && records.length > 0) {
      const subjects = records.map((r) => ({ source, subject: r.subject }));
      known = (await retrying("identity directory", () => state.read({ subjects, orders: [] }), bridgeVerdict, d.waits)).uids;
    }
    return mapLimit(records, DIRECTORY_CONCURRENCY, async (record) => {
      const inDirectory = known.get(stateKey(source, record.subject));
      const uid = record.uid ?? inDirectory;
      let learned = false;
      if (state && !o.dryRun && record.uid !== undefined && inDirectory !== record.uid) {
        const lesson = await retrying("identity directory", () => state.learn(source, record.subject, record.uid as string), bridgeVerdict, d.waits);
        learned = lesson.changed;
        if (lesson.previous !== undefined) d.progress.note(`${source} ${record.subject}: uid ${lesson.previous} replaced by ${record.uid} in the identity directory`);
      }
      return { record, ...(uid === undefined ? {} : { uid }), learned, issues: uid === undefined ? [] : patchLimitIssues(record.patch) };
    });
  };

  /** Fixes the buffer's users as the next job (and its outcome for the others), moves the checkpoint past them, starts the job. */
  const seal = async () => {
    const records = buffer;
    buffer = [];
    buffered = 0;
    if (records.length === 0) return;
    const upserts: Upsert[] = records.filter((s) => s.uid !== undefined && s.issues.length === 0).map((s) => ({ uid: s.uid as string, ...s.record.patch }));
    let job: CheckpointJob | undefined;
    if (upserts.length > 0) {
      job = { n: cp.jobs.length + 1, key: randomUUID(), users: upserts.length, state: "sealed" };
      if (o.dryRun) for (const upsert of upserts) d.print(JSON.stringify(upsert));
      else writeAtomic(jobFile(d.checkpointPath, job.n), JSON.stringify({ requests: upserts }));
      cp.jobs.push(job);
    }
    cp.cursor = (records.at(-1) as Settled).record.cursor;
    cp.totals.read += records.length;
    cp.totals.learned += records.filter((s) => s.learned).length;
    cp.unresolved.push(...records.filter((s) => s.uid === undefined).map((s) => s.record.subject));
    cp.not_sent.push(...records.filter((s) => s.issues.length > 0).map((s) => ({ subject: s.record.subject, issues: s.issues })));
    save();
    if (!job || o.dryRun) return;
    while (inFlight.size >= MAX_JOBS_IN_FLIGHT && !signal.aborted) await Promise.race(inFlight);
    if (!signal.aborted) start(job);
  };

  try {
    for (const job of cp.jobs) if (!jobDone(job)) start(job);
    update();
    while (!cp.read_all && !signal.aborted) {
      const remaining = o.limit === undefined ? Number.MAX_SAFE_INTEGER : o.limit - cp.totals.read - buffer.length;
      if (remaining <= 0) {
        cp.read_all = true;
        break;
      }
      const cursor = buffer.length > 0 ? (buffer.at(-1) as Settled).record.cursor : cp.cursor;
      const page = await d.source.page({ cursor, limit: remaining, ...(o.since ? { since: o.since } : {}) });
      for (const settled of await settle(page.records)) {
        buffer.push(settled);
        readThisRun++;
        if (settled.uid !== undefined && settled.issues.length === 0 && ++buffered >= o.jobSize) await seal();
      }
      if (page.done) cp.read_all = true;
      update();
    }
  } catch (err) {
    fail(err);
  }
  try {
    // What was read is kept, whatever stopped the reading: sealed now, sent now or when resumed.
    await seal();
    save();
  } catch (err) {
    fail(err);
  }
  while (inFlight.size > 0) await Promise.race(inFlight);

  const outcome = failure !== undefined ? "failed" : signal.aborted ? "interrupted" : "complete";
  const waitingLetters = outcome === "complete" && !o.dryRun ? await lettersNowResolvable(d.state, source) : undefined;
  return summarize(cp, {
    outcome,
    ...(waitingLetters ? { waitingLetters } : {}),
    ...(failure === undefined ? {} : { error: failure instanceof Error ? failure.message : String(failure) }),
    checkpoint: d.checkpointPath,
    readThisRun,
    elapsedMs: now() - startedAt,
    dryRun: o.dryRun,
  });
}

/**
 * Letters of `source` waiting in the state store for an account's uid that the directory now
 * knows. Deliver sends such letters on when it learns the uid itself; one the backfill taught it
 * does not wake them, so the summary points at `npm run dlq -- redrive`. Counting is a courtesy:
 * a store that cannot be read here counts none.
 */
async function lettersNowResolvable(state: StateStore | undefined, source: string): Promise<number> {
  if (!state) return 0;
  try {
    const parked = (await state.listParked()).filter((letter) => letter.source === source);
    if (parked.length === 0) return 0;
    const { uids } = await state.read({ subjects: parked.map((l) => ({ source, subject: l.subject })), orders: [] });
    return parked.filter((l) => uids.has(stateKey(source, l.subject))).length;
  } catch {
    return 0;
  }
}
