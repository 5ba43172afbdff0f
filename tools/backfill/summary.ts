import type { Checkpoint } from "./checkpoint";

/** What a backfill came to, over every run of its checkpoint (`readThisRun` and `elapsedMs`: this run's). */
export interface Summary {
  source: string;
  target: string;
  checkpoint: string;
  outcome: "complete" | "interrupted" | "failed";
  dryRun: boolean;
  /** The checkpoint was already complete: nothing was read or sent. */
  alreadyComplete: boolean;
  error?: string;
  read: number;
  /** Users in jobs Fullstory has accepted (a dry run: users it would send). */
  sent: number;
  /** Users sealed in jobs not sent yet (sent when the run is resumed). */
  unsent: number;
  imported: number;
  rejected: number;
  /** Rejected users by Fullstory's code and message, most frequent first, with a few of their uids. */
  rejections: { code: string; message: string; users: number; uids: string[] }[];
  /** Provider ids of the accounts without a resolvable uid: counted and listed, never guessed. */
  unresolved: string[];
  /** Accounts whose upsert would break Fullstory's limits: not sent. */
  notSent: { subject: string; issues: string[] }[];
  learned: number;
  /** Letters waiting in the state store for an account whose uid is now known (see docs/backfill.md). */
  waitingLetters: number;
  /** Jobs by state: not sent yet (sealed), sent and not finished (created), finished, and unknown to Fullstory when polled. */
  jobs: { total: number; sealed: number; created: number; finished: number; unknown: number };
  readThisRun: number;
  elapsedMs: number;
}

export interface SummaryExtra {
  outcome: Summary["outcome"];
  error?: string;
  checkpoint: string;
  readThisRun: number;
  elapsedMs: number;
  dryRun: boolean;
  alreadyComplete?: boolean;
  waitingLetters?: number;
}

const SAMPLE_UIDS = 3;

/** The summary of checkpoint `cp` (see Summary). */
export function summarize(cp: Checkpoint, extra: SummaryExtra): Summary {
  const reasons = new Map<string, Summary["rejections"][number]>();
  for (const job of cp.jobs) {
    for (const { uid, code, message } of job.rejected ?? []) {
      const key = `${code}\n${message}`;
      const reason = reasons.get(key) ?? { code, message, users: 0, uids: [] };
      reason.users++;
      if (uid !== undefined && reason.uids.length < SAMPLE_UIDS) reason.uids.push(uid);
      reasons.set(key, reason);
    }
  }
  const users = (state: string) => cp.jobs.filter((j) => j.state === state).reduce((n, j) => n + j.users, 0);
  return {
    source: cp.source,
    target: cp.target,
    checkpoint: extra.checkpoint,
    outcome: extra.outcome,
    dryRun: extra.dryRun,
    alreadyComplete: extra.alreadyComplete ?? false,
    ...(extra.error === undefined ? {} : { error: extra.error }),
    read: cp.totals.read,
    sent: extra.dryRun ? users("sealed") : users("created") + users("done"),
    unsent: extra.dryRun ? 0 : users("sealed"),
    imported: cp.jobs.reduce((n, j) => n + (j.imported ?? 0), 0),
    rejected: cp.jobs.reduce((n, j) => n + (j.rejected?.length ?? 0), 0),
    rejections: [...reasons.values()].sort((a, b) => b.users - a.users),
    unresolved: cp.unresolved,
    notSent: cp.not_sent,
    learned: cp.totals.learned,
    waitingLetters: extra.waitingLetters ?? 0,
    jobs: {
      total: cp.jobs.length,
      sealed: cp.jobs.filter((j) => j.state === "sealed").length,
      created: cp.jobs.filter((j) => j.state === "created").length,
      finished: cp.jobs.filter((j) => j.state === "done" && j.outcome !== "NOT_FOUND").length,
      unknown: cp.jobs.filter((j) => j.outcome === "NOT_FOUND").length,
    },
    readThisRun: extra.readThisRun,
    elapsedMs: extra.elapsedMs,
  };
}

const number = (n: number) => n.toLocaleString("en-US");
const LISTED = 20;

/** The summary as the lines printed at the end of a run; `noun` is the source's ("customer"), plural added here. */
export function formatSummary(s: Summary, noun: string, uidHint: string): string {
  const nouns = `${noun}s`;
  const lines: string[] = [];
  const headline = {
    complete: s.alreadyComplete ? "already complete (nothing to do; --restart to backfill again)" : "complete",
    interrupted: "interrupted",
    failed: "FAILED",
  }[s.outcome];
  lines.push(`Backfill of ${s.source} (${s.target})${s.dryRun ? ", dry run" : ""}: ${headline}`);
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(12)}${value}`);
  row("read", `${number(s.read)} ${nouns}`);
  if (s.dryRun) row("would send", `${number(s.sent)} users in ${number(s.jobs.total)} job(s); nothing was sent`);
  else {
    const waiting = [
      s.jobs.created > 0 ? `${s.jobs.created} not finished yet` : "",
      s.jobs.sealed > 0 ? `${s.jobs.sealed} more (${number(s.unsent)} users) not sent yet` : "",
    ].filter(Boolean);
    row("sent", `${number(s.sent)} users in ${number(s.jobs.total - s.jobs.sealed)} job(s)${waiting.length > 0 ? `; ${waiting.join(", ")}` : ""}`);
    row("imported", number(s.imported));
    row("rejected", number(s.rejected));
    for (const r of s.rejections) lines.push(`    ${number(r.users)} × ${r.code}: ${r.message}${r.uids.length > 0 ? ` (e.g. ${r.uids.join(", ")})` : ""}`);
  }
  row("unresolved", `${number(s.unresolved.length)}${s.unresolved.length > 0 ? ` (${uidHint})` : ""}`);
  if (s.unresolved.length > 0) {
    const more = s.unresolved.length - LISTED;
    lines.push(`    ${s.unresolved.slice(0, LISTED).join(", ")}${more > 0 ? `, and ${number(more)} more (all in ${s.checkpoint})` : ""}`);
  }
  if (s.notSent.length > 0) {
    row("not sent", `${number(s.notSent.length)} (over Fullstory's limits)`);
    for (const n of s.notSent.slice(0, LISTED)) lines.push(`    ${n.subject}: ${n.issues.join(", ")}`);
  }
  if (!s.dryRun) row("learned", `${number(s.learned)} identities (${noun} → uid) in the identity directory`);
  if (s.waitingLetters > 0) {
    row("waiting", `${number(s.waitingLetters)} letter(s) wait for a uid now known: \`npm run dlq -- redrive\` sends them on (add --stage as for this run)`);
  }
  if (s.jobs.unknown > 0) {
    lines.push(`  ${s.jobs.unknown} job(s) were no longer known to Fullstory when polled: their outcome is unknown; --restart sends everything again.`);
  }
  const seconds = s.elapsedMs / 1000;
  if (!s.alreadyComplete) {
    lines.push(`  this run: ${number(s.readThisRun)} ${nouns} in ${seconds.toFixed(1)} s (${number(Math.round(s.readThisRun / Math.max(seconds, 0.001)))}/s)`);
  }
  if (s.outcome === "failed") lines.push(`  error: ${s.error ?? "unknown"}`);
  if (s.outcome !== "complete" && !s.dryRun) {
    const first = [s.jobs.sealed > 0 ? "jobs not sent yet are sent" : "", s.jobs.created > 0 ? "jobs not finished are polled by their id" : ""].filter(Boolean);
    lines.push(`  Run the same command again to resume from ${s.checkpoint}${first.length > 0 ? ` (${first.join(", ")} first)` : ""}.`);
  }
  return lines.join("\n");
}
