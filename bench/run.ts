import os from "node:os";
import { parseArgs } from "node:util";
import { benchBackfill } from "./backfill";
import { stageSettings } from "../stacks/settings";
import { buildBundles, coldInit } from "./bundle";
import { benchBurst } from "./burst";
import { costPerMillion } from "./cost";
import { benchDeliver } from "./deliver";
import { benchIngest, ingestAll, STRIPE_SECRET } from "./ingest";
import { signedStripePayloads } from "./payloads";
import { PRICES } from "./prices";
import { round } from "./stats";
import { printTable, type Result } from "./table";

/**
 * `npm run bench`: ingest cost per event against stripe's constructEvent; delivery throughput
 * against a deliver Lambda written with the official Fullstory SDK and against that SDK running
 * free; a burst through ingest, SQS FIFO and deliver, in Stripe API mode and in webhook mode; the
 * cost of a million events; cold init and size of the production bundles; the backfill's throughput
 * (bench/backfill.ts). Prints a table; with
 * `--json` the last line is one JSON object with every number. `--quick` is a seconds-long run
 * with few events, for checking that the benchmark itself works (its numbers mean little).
 * Everything runs on 127.0.0.1; every server and process it starts is stopped before it exits.
 * One section per scenario, each in a file of its own.
 */

// This machine runs Node 20, Lambda runs nodejs22.x: the SDK's Node-version notice would only clutter the table.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const { values: flags } = parseArgs({ options: { json: { type: "boolean" }, quick: { type: "boolean" } } });

const SETTINGS = flags.quick
  ? { ingestEvents: 48, rounds: 3, warmupRounds: 1, deliverRequests: 100, warmupRequests: 10, burstEvents: 100, burstUsers: 10, processes: 2, backfill: { customers: 200, users: 500 } }
  : { ingestEvents: 1_000, rounds: 30, warmupRounds: 5, deliverRequests: 10_000, warmupRequests: 200, burstEvents: 5_000, burstUsers: 500, processes: 12, backfill: { customers: 5_000, users: 10_000 } };
/** Requests in flight (and sockets) on each side, and Fullstory's answer time, in every scenario. */
const CONCURRENCY = 16;
const LATENCY_MS = 20;
/** Stripe sends an event within seconds of creating it; API mode's skipping depends on that age. */
const EVENT_AGE_SECONDS = 2;
const INGEST_CONCURRENCY = 10;
const MEMORY_MB = stageSettings("production").memoryMb;

const progress = (text: string) => {
  if (!flags.json) process.stderr.write(`${text}\n`);
};

async function main() {
  const loadBefore = round(os.loadavg()[0] ?? 0);

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

  progress(`deliver: ${SETTINGS.deliverRequests} upserts, ${LATENCY_MS} ms Fullstory latency, ${CONCURRENCY} sockets: ours, the SDK handler, the SDK running free…`);
  // The queue messages are ingest's own output for realistic signed webhooks (2 000 customers).
  const payloads = signedStripePayloads({
    count: SETTINGS.warmupRequests + SETTINGS.deliverRequests,
    first: 1_000_000,
    users: 2_000,
    secret: STRIPE_SECRET,
    timestamp: Math.floor(Date.now() / 1000),
  });
  const messages = await ingestAll(payloads);
  const deliver = await benchDeliver({
    warmup: messages.slice(0, SETTINGS.warmupRequests),
    messages: messages.slice(SETTINGS.warmupRequests),
    concurrency: CONCURRENCY,
    latencyMs: LATENCY_MS,
  });

  const burstOptions = {
    events: SETTINGS.burstEvents,
    users: SETTINGS.burstUsers,
    latencyMs: LATENCY_MS,
    eventAgeSeconds: EVENT_AGE_SECONDS,
    ingestConcurrency: INGEST_CONCURRENCY,
    batchesInFlight: Math.ceil(CONCURRENCY / 10),
  };
  progress(`burst: ${SETTINGS.burstEvents} webhooks over ${SETTINGS.burstUsers} customers through ingest, SQS FIFO and deliver, Stripe API mode…`);
  const burst = await benchBurst({ ...burstOptions, apiMode: true });
  progress("burst: the same in webhook mode (no Stripe key)…");
  const burstWebhook = await benchBurst({ ...burstOptions, apiMode: false });

  progress(`backfill: ${SETTINGS.backfill.customers} Stripe customers and ${SETTINGS.backfill.users} Clerk users through the batch import…`);
  const backfill = await benchBackfill(SETTINGS.backfill);

  const result: Result = {
    ingest,
    deliver,
    backfill,
    burst,
    burst_webhook_mode: burstWebhook,
    cost: {
      ...costPerMillion(burst.usage, burst.events, MEMORY_MB, PRICES),
      webhook_mode: costPerMillion(burstWebhook.usage, burstWebhook.events, MEMORY_MB, PRICES),
      memory_mb: MEMORY_MB,
      prices_as_of: PRICES.asOf,
    },
    cold_init_ms: cold,
    bundle_kb: bundles.kb,
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? "unknown",
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      load_average: [loadBefore, round(os.loadavg()[0] ?? 0)],
    },
    quick: Boolean(flags.quick),
  };
  if (!flags.json) printTable(result);
  else process.stdout.write(`${JSON.stringify(result)}\n`);
}

// No process.exit on success: the process ending by itself shows every server and socket was closed.
main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
