import os from "node:os";
import { parseArgs } from "node:util";
import { backfillRows, benchBackfill } from "./backfill";
import { buildBundles, coldInit } from "./bundle";
import { benchDeliver } from "./deliver";
import { benchIngest, ingestAll, STRIPE_SECRET } from "./ingest";
import { signedStripePayloads } from "./payloads";

/**
 * `npm run bench`: ingest cost per event against stripe's constructEvent, delivery throughput
 * against the official Fullstory SDK, cold init and size of the production bundles, and the
 * backfill's throughput (bench/backfill.ts). Prints a table;
 * with `--json` the last line is one JSON object with every number. `--quick` is a seconds-long
 * run with few events, for checking that the benchmark itself works (its numbers mean little).
 * Everything runs on 127.0.0.1; every server it starts is stopped before it exits.
 */

// This machine runs Node 20, Lambda runs nodejs22.x: the SDK's Node-version notice would only clutter the table.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const { values: flags } = parseArgs({ options: { json: { type: "boolean" }, quick: { type: "boolean" } } });

const SETTINGS = flags.quick
  ? { ingestEvents: 48, rounds: 3, warmupRounds: 1, deliverRequests: 100, warmupRequests: 10, concurrency: 16, latencyMs: 20, processes: 2, backfill: { customers: 200, users: 500 } }
  : { ingestEvents: 1_000, rounds: 30, warmupRounds: 5, deliverRequests: 10_000, warmupRequests: 200, concurrency: 16, latencyMs: 20, processes: 12, backfill: { customers: 5_000, users: 10_000 } };

/** The goals of the benchmark issue; reported, never asserted. */
const GOALS = {
  ingestRatio: 1.5,
  sdkRatio: 1.0,
  connections: 16,
  ssmCalls: 1,
  coldIngestMs: 100,
  coldDeliverMs: 150,
  ingestKb: 300,
} as const;

const progress = (text: string) => {
  if (!flags.json) process.stderr.write(`${text}\n`);
};

async function main() {
  progress("building the production bundles (esbuild, as SST does)…");
  const bundles = await buildBundles();
  let cold;
  try {
    progress(`cold init: ${SETTINGS.processes} fresh Node processes per bundle…`);
    cold = await coldInit(bundles, SETTINGS.processes);
  } finally {
    await bundles.remove();
  }

  progress(`ingest: ${SETTINGS.ingestEvents} signed Stripe events × ${SETTINGS.rounds} rounds against stripe.webhooks.constructEvent…`);
  const ingest = await benchIngest({ events: SETTINGS.ingestEvents, rounds: SETTINGS.rounds, warmupRounds: SETTINGS.warmupRounds });

  progress(`deliver: ${SETTINGS.deliverRequests} upserts, ${SETTINGS.latencyMs} ms Fullstory latency, concurrency ${SETTINGS.concurrency}, ours then the official SDK…`);
  // The queue messages are ingest's own output for realistic signed webhooks (2 000 customers).
  const timestamp = Math.floor(Date.now() / 1000);
  const payloads = signedStripePayloads({
    count: SETTINGS.warmupRequests + SETTINGS.deliverRequests,
    first: 1_000_000,
    users: 2_000,
    secret: STRIPE_SECRET,
    timestamp,
  });
  const messages = await ingestAll(payloads);
  const deliver = await benchDeliver({
    warmup: messages.slice(0, SETTINGS.warmupRequests),
    messages: messages.slice(SETTINGS.warmupRequests),
    concurrency: SETTINGS.concurrency,
    latencyMs: SETTINGS.latencyMs,
  });

  progress(`backfill: ${SETTINGS.backfill.customers} Stripe customers and ${SETTINGS.backfill.users} Clerk users through the batch import…`);
  const backfill = await benchBackfill(SETTINGS.backfill);

  const result = {
    ingest,
    deliver,
    backfill,
    cold_init_ms: cold,
    bundle_kb: bundles.kb,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", node: process.version, platform: `${process.platform} ${process.arch}` },
    quick: Boolean(flags.quick),
  };
  if (!flags.json) printTable(result);
  else process.stdout.write(`${JSON.stringify(result)}\n`);
}

type Result = {
  ingest: Awaited<ReturnType<typeof benchIngest>>;
  deliver: Awaited<ReturnType<typeof benchDeliver>>;
  backfill: Awaited<ReturnType<typeof benchBackfill>>;
  cold_init_ms: { ingest: number; deliver: number };
  bundle_kb: { ingest: number; deliver: number };
  machine: { cpus: number; cpu: string; node: string; platform: string };
};

function printTable(r: Result) {
  const met = (ok: boolean) => (ok ? "yes" : "NO");
  const rows: [string, string, string, string, string][] = [
    ["ingest µs/event (p50)", String(r.ingest.us_per_event_p50), `${r.ingest.stripe_construct_event_us_p50} (stripe constructEvent)`, `ratio ${r.ingest.ratio_vs_stripe_construct_event} ≤ ${GOALS.ingestRatio}`, met(r.ingest.ratio_vs_stripe_construct_event <= GOALS.ingestRatio)],
    ["deliver upserts/s", String(r.deliver.rps), `${r.deliver.official_sdk_rps} (official SDK)`, `ratio ${r.deliver.ratio_vs_official_sdk} ≥ ${GOALS.sdkRatio}`, met(r.deliver.ratio_vs_official_sdk >= GOALS.sdkRatio)],
    ["Fullstory connections", String(r.deliver.fullstory_connections), `${r.deliver.official_sdk_connections} (official SDK)`, `≤ ${GOALS.connections}`, met(r.deliver.fullstory_connections <= GOALS.connections)],
    ["SSM calls", String(r.deliver.ssm_calls), "", `≤ ${GOALS.ssmCalls}`, met(r.deliver.ssm_calls <= GOALS.ssmCalls)],
    ["cold init ingest (ms)", String(r.cold_init_ms.ingest), "", `≤ ${GOALS.coldIngestMs}`, met(r.cold_init_ms.ingest <= GOALS.coldIngestMs)],
    ["cold init deliver (ms)", String(r.cold_init_ms.deliver), "", `≤ ${GOALS.coldDeliverMs}`, met(r.cold_init_ms.deliver <= GOALS.coldDeliverMs)],
    ["bundle ingest (KB)", String(r.bundle_kb.ingest), "", `≤ ${GOALS.ingestKb}`, met(r.bundle_kb.ingest <= GOALS.ingestKb)],
    ["bundle deliver (KB)", String(r.bundle_kb.deliver), "", "", ""],
    ...backfillRows(r.backfill),
  ];
  const header: [string, string, string, string, string] = ["metric", "bridge", "reference", "goal", "met"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
  console.log(
    `\n${r.ingest.events} events × ${r.ingest.rounds} rounds (median body ${r.ingest.payload_bytes_median} B); ` +
      `${r.deliver.requests} upserts at concurrency ${r.deliver.concurrency}, ${r.deliver.latency_ms} ms latency; ` +
      `backfill of ${r.backfill.stripe.customers} customers (${r.backfill.stripe.jobs} job) and ${r.backfill.clerk.users} users (${r.backfill.clerk.jobs} jobs); ` +
      `${r.machine.cpus} × ${r.machine.cpu}, Node ${r.machine.node}, ${r.machine.platform}`,
  );
}

// No process.exit on success: the process ending by itself shows every server and socket was closed.
main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
