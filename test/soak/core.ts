import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SOURCE_NAMES } from "../../functions/config";
import { startFullstoryFake } from "../support/fullstory-fake";
import { startSsmFake } from "../support/ssm-fake";
import { checkOutcome, type Accounting, type Outcome } from "./check";
import { DEFAULT_FAULT_RATES, randomFaults, seededRandom, type FaultCounts, type FaultRates } from "./faults";
import { NEAR_LIMIT_BYTES, SOAK_SECRETS, planEvents, type Plan } from "./plan";
import { runLocalMode, runSqsMode, type ModeRun } from "./modes";

/**
 * The accounting soak shared by `npm run soak` (thousands of events) and the integration test
 * (fewer): signed webhooks from every source through the real ingest handler, a queue (SQS FIFO on
 * fauxqs, or local mode's SQLite store) and the real deliver code, to the Fullstory fake, which
 * injects random 429s, 5xx, latency and dropped connections while the SSM fake throttles.
 */

export type SoakMode = "sqs" | "local";

export interface SoakOptions {
  mode: SoakMode;
  events: number;
  uids: number;
  seed?: number;
  /** Concurrent webhook senders (a uid's events always come from one sender, in order). */
  senders?: number;
  /** SQS mode: concurrent pollers, each with its own deliver container (Lambda concurrency). */
  pollers?: number;
  rates?: FaultRates;
  /** The chance that one GetParameter call is throttled (default 0.1). */
  ssmThrottleRate?: number;
  /** The run gives up (and reports it) after this long. */
  deadlineMs?: number;
}

export interface SoakReport {
  mode: SoakMode;
  seed: number;
  events: number;
  uids: number;
  durationMs: number;
  accounting: Accounting;
  /** 503s ingest answered (SSM throttled while reading a secret); the sender retried each. */
  ingestRetries: number;
  faults: FaultCounts;
  /** Accepted events whose body was near the body limit (see NEAR_LIMIT_BYTES). */
  nearLimitBodies: number;
  ssm: { calls: number; throttled: number };
  fullstoryConnections: number;
  problems: string[];
}

export const FULLSTORY_KEY = "na1.soak-key";
export const PARAMETERS = {
  key: "/fullstory-bridge/soak/fullstory-api-key",
  stripe: "/fullstory-bridge/soak/stripe-webhook-secret",
  clerk: "/fullstory-bridge/soak/clerk-webhook-secret",
  standard: "/fullstory-bridge/soak/standard-webhook-secret",
  paddle: "/fullstory-bridge/soak/paddle-webhook-secret",
  chargebee: "/fullstory-bridge/soak/chargebee-webhook-secret",
  lemonsqueezy: "/fullstory-bridge/soak/lemonsqueezy-webhook-secret",
  polar: "/fullstory-bridge/soak/polar-webhook-secret",
  workos: "/fullstory-bridge/soak/workos-webhook-secret",
} as const;

/** The stage's settings: every secret and the key from SSM, cached for one second so SSM is asked often. */
export function soakEnvironment(fullstoryUrl: string): Record<string, string> {
  return {
    STRIPE_WEBHOOK_SECRET_PARAMETER: PARAMETERS.stripe,
    CLERK_WEBHOOK_SECRET_PARAMETER: PARAMETERS.clerk,
    STANDARD_WEBHOOK_SECRET_PARAMETER: PARAMETERS.standard,
    PADDLE_WEBHOOK_SECRET_PARAMETER: PARAMETERS.paddle,
    CHARGEBEE_WEBHOOK_SECRET_PARAMETER: PARAMETERS.chargebee,
    LEMONSQUEEZY_WEBHOOK_SECRET_PARAMETER: PARAMETERS.lemonsqueezy,
    POLAR_WEBHOOK_SECRET_PARAMETER: PARAMETERS.polar,
    WORKOS_WEBHOOK_SECRET_PARAMETER: PARAMETERS.workos,
    FULLSTORY_API_KEY_PARAMETER: PARAMETERS.key,
    FULLSTORY_API_URL: fullstoryUrl,
    FULLSTORY_REGION: "na1",
    FULLSTORY_EVENTS: "true",
    BRIDGE_PARAMETER_TTL_SECONDS: "1",
  };
}

/** Runs one soak and checks its outcome; never throws for a failed check (see `problems`). */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const seed = options.seed ?? Date.now() % 1_000_000;
  const runId = `${options.mode}${seed}`;
  const senders = options.senders ?? 16;
  const plan: Plan = planEvents({ events: options.events, uids: options.uids, lanes: senders, runId });
  const [fullstory, ssm] = await Promise.all([startFullstoryFake({ keys: [FULLSTORY_KEY] }), startSsmFake()]);
  ssm.set(PARAMETERS.key, FULLSTORY_KEY);
  for (const source of SOURCE_NAMES) ssm.set(PARAMETERS[source], SOAK_SECRETS[source]);
  const faults = randomFaults(options.rates ?? DEFAULT_FAULT_RATES, seededRandom(seed));
  fullstory.faultFor = faults.faultFor;
  // Each GetParameter call is throttled with a fixed chance, drawn from its own seeded sequence.
  // (Arming "the next N calls" on a timer starves whichever lone message retries last: its every
  // read lands on the armed calls.)
  const throttleRandom = seededRandom(seed + 1);
  ssm.throttleWhen(() => throttleRandom() < (options.ssmThrottleRate ?? 0.1));
  const dataDir = mkdtempSync(path.join(tmpdir(), "bridge-soak-"));
  const started = Date.now();
  let run: ModeRun;
  try {
    const mode = options.mode === "sqs" ? runSqsMode : runLocalMode;
    run = await mode({ plan, env: soakEnvironment(fullstory.url), ssm, fullstory, dataDir, pollers: options.pollers ?? 8, deadlineMs: options.deadlineMs ?? 240_000 });
  } finally {
    await Promise.all([fullstory.stop(), ssm.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const outcome: Outcome = { plan, ...run, requests: fullstory.requests, users: fullstory.users, events: fullstory.events };
  const { accounting, problems } = checkOutcome(outcome);
  return {
    mode: options.mode,
    seed,
    events: plan.events.length,
    uids: plan.uids.size,
    durationMs: Date.now() - started,
    accounting,
    ingestRetries: run.ingestRetries,
    faults: faults.counts,
    nearLimitBodies: plan.events.filter((e) => run.accepted.has(e.id) && Buffer.byteLength(e.payload) >= NEAR_LIMIT_BYTES).length,
    ssm: { calls: ssm.calls, throttled: ssm.throttledCalls },
    fullstoryConnections: fullstory.connections,
    problems: [...run.problems, ...problems],
  };
}

/** The report as a few lines for a terminal or a test log. */
export function formatReport(r: SoakReport): string {
  const a = r.accounting;
  const reasons = Object.entries(a.deadLetterReasons).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  const f = r.faults;
  return [
    `soak ${r.mode} (seed ${r.seed}): ${r.events} events across ${r.uids} uids in ${(r.durationMs / 1000).toFixed(1)} s`,
    `  accepted ${a.accepted} = delivered ${a.delivered} + dead-lettered ${a.deadLettered} (${reasons})`,
    `  lifecycle events: ${a.lifecycleSent} sent, ${a.lifecycleExpected} expected from the accepted webhooks`,
    `  Fullstory: ${a.fullstoryPosts} upsert POSTs over ${r.fullstoryConnections} connections, ${a.retriedEvents} events retried (at most ${a.maxRequestsForOneEvent} requests for one, one Idempotency-Key each)`,
    `  faults injected: 429 ${f.rateLimited}, 5xx ${f.serverError}, slow ${f.slow}, 2-3 s ${f.verySlow}, stalled past timeout ${f.stalled}, dropped ${f.dropped}, 400 ${f.rejected}`,
    `  bodies near the ${NEAR_LIMIT_BYTES / 1024} KiB mark: ${r.nearLimitBodies} accepted`,
    `  SSM: ${r.ssm.calls} GetParameter calls, ${r.ssm.throttled} throttled; ingest answered 503 ${r.ingestRetries} time(s), each retried by its sender`,
    `  problems: ${r.problems.length === 0 ? "none" : `${r.problems.length}\n    ${r.problems.slice(0, 20).join("\n    ")}`}`,
  ].join("\n");
}
