import { backfillRows, type BackfillBench } from "./backfill";
import type { BurstResult } from "./burst";
import type { CostPerMillion } from "./cost";
import type { DeliverResult } from "./deliver";
import type { IngestResult } from "./ingest";

/** Everything `npm run bench` reports: the JSON line, and the table's source. */
export interface Result {
  ingest: IngestResult;
  deliver: DeliverResult;
  burst: BurstResult;
  burst_webhook_mode: BurstResult;
  cost: CostPerMillion & { webhook_mode: CostPerMillion; memory_mb: number; prices_as_of: string };
  backfill: BackfillBench;
  cold_init_ms: { ingest: number; deliver: number };
  bundle_kb: { ingest: number; deliver: number };
  machine: { cpus: number; cpu: string; node: string; platform: string; load_average: number[] };
  quick: boolean;
}

/** The goals of the benchmark issues; reported, never asserted. */
export const GOALS = {
  ingestRatio: 1.5,
  sdkRatio: 1.0,
  connections: 16,
  ssmCalls: 1,
  burstRequestsPerEvent: 0.5,
  burstSsmCalls: 2,
  coldIngestMs: 100,
  coldDeliverMs: 150,
  ingestKb: 300,
} as const;

type Row = [metric: string, bridge: string, reference: string, goal: string, met: string];

const met = (ok: boolean) => (ok ? "yes" : "NO");

function ingestRows({ ingest: i }: Result): Row[] {
  return [["ingest µs/event (p50)", String(i.us_per_event_p50), `${i.stripe_construct_event_us_p50} (stripe constructEvent)`, `ratio ${i.ratio_vs_stripe_construct_event} ≤ ${GOALS.ingestRatio}`, met(i.ratio_vs_stripe_construct_event <= GOALS.ingestRatio)]];
}

function deliverRows({ deliver: d }: Result): Row[] {
  return [
    ["deliver upserts/s", String(d.rps), `${d.sdk_handler_rps} (SDK deliver handler)`, `ratio ${d.ratio_vs_sdk_handler} ≥ ${GOALS.sdkRatio}`, met(d.ratio_vs_sdk_handler >= GOALS.sdkRatio)],
    ["deliver upserts/s", String(d.rps), `${d.official_sdk_rps} (SDK running free)`, `ratio ${d.ratio_vs_official_sdk} ≥ ${GOALS.sdkRatio}`, met(d.ratio_vs_official_sdk >= GOALS.sdkRatio)],
    ["Fullstory connections", String(d.fullstory_connections), `${d.sdk_handler_connections} / ${d.official_sdk_connections} (SDK handler / free)`, `≤ ${GOALS.connections}`, met(d.fullstory_connections <= GOALS.connections)],
    ["SSM calls", String(d.ssm_calls), "", `≤ ${GOALS.ssmCalls}`, met(d.ssm_calls <= GOALS.ssmCalls)],
    ["DynamoDB calls per batch", String(d.state_calls_per_batch), "0 (SDK deliver handler)", "", ""],
  ];
}

function burstRows({ burst: b, burst_webhook_mode: w }: Result): Row[] {
  const webhook = (value: number | undefined) => (value === undefined ? "" : `${value} (webhook mode)`);
  return [
    ["burst Fullstory requests/event", String(b.fullstory_requests_per_event), webhook(w.fullstory_requests_per_event), `≤ ${GOALS.burstRequestsPerEvent}`, met(b.fullstory_requests_per_event <= GOALS.burstRequestsPerEvent)],
    ["burst SSM calls", String(b.ssm_calls), webhook(w.ssm_calls), `≤ ${GOALS.burstSsmCalls}`, met(b.ssm_calls <= GOALS.burstSsmCalls)],
    ["burst Stripe API calls/event", String(b.stripe_api_calls_per_event ?? ""), "", "", ""],
    ["burst seconds to drain", String(b.seconds_to_drain), webhook(w.seconds_to_drain), "", ""],
    ["burst p99 webhook → Fullstory (ms)", String(b.p99_webhook_to_fullstory_ms), webhook(w.p99_webhook_to_fullstory_ms), "", ""],
  ];
}

function costRows({ cost: c }: Result): Row[] {
  return [["cost $ per million events", String(c.usd_per_million_events), `${c.webhook_mode.usd_per_million_events} (webhook mode)`, "", ""]];
}

function bundleRows({ cold_init_ms: cold, bundle_kb: kb }: Result): Row[] {
  return [
    ["cold init ingest (ms)", String(cold.ingest), "", `≤ ${GOALS.coldIngestMs}`, met(cold.ingest <= GOALS.coldIngestMs)],
    ["cold init deliver (ms)", String(cold.deliver), "", `≤ ${GOALS.coldDeliverMs}`, met(cold.deliver <= GOALS.coldDeliverMs)],
    ["bundle ingest (KB)", String(kb.ingest), "", `≤ ${GOALS.ingestKb}`, met(kb.ingest <= GOALS.ingestKb)],
    ["bundle deliver (KB)", String(kb.deliver), "", "", ""],
  ];
}

/** Prints `r` as a Markdown table, each figure beside its reference and goal, then what the run was. */
export function printTable(r: Result): void {
  const rows = [ingestRows, deliverRows, burstRows, costRows, bundleRows, (x: Result) => backfillRows(x.backfill)].flatMap((section) => section(r));
  const header: Row = ["metric", "bridge", "reference", "goal", "met"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
  console.log(
    `\n${r.ingest.events} events × ${r.ingest.rounds} rounds (median body ${r.ingest.payload_bytes_median} B); ` +
      `${r.deliver.requests} upserts at ${r.deliver.concurrency} sockets, ${r.deliver.latency_ms} ms latency; ` +
      `burst of ${r.burst.events} webhooks over ${r.burst.users} customers; ` +
      `backfill of ${r.backfill.stripe.customers} customers and ${r.backfill.clerk.users} users; prices of ${r.cost.prices_as_of}, ${r.cost.memory_mb} MB; ` +
      `${r.machine.cpus} × ${r.machine.cpu}, Node ${r.machine.node}, ${r.machine.platform}, load ${r.machine.load_average.join(" → ")}`,
  );
}
