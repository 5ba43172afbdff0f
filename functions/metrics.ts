import { Metrics as PowertoolsMetrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { SOURCE_NAMES } from "./config";
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, type MetricName } from "./metric-names";

export { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, type MetricName } from "./metric-names";

/**
 * The bridge's metrics: counts per source of what happened to webhooks and deliveries, Fullstory's
 * latency and answers, Stripe API calls and lifecycle events sent. Deployed, they go to CloudWatch
 * as Embedded Metric Format lines through Powertools (one namespace, dimensions `service`, `stage`
 * and `source`); locally, into counters `GET /healthz?details` shows. No dimension ever takes a
 * per-event value: `source` is one of the source names or `unknown`, `stage` comes from the stack.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/metrics/
 */

/** Where metrics go; `flush` once per invocation (or never, for counters). */
export interface MetricsSink {
  count(source: string, name: MetricName, value?: number): void;
  /** One Fullstory request: how long it took, and its status (undefined: no answer). */
  fullstory(source: string, ms: number, status: number | undefined): void;
  flush(): void;
}

/** The `source` dimension: a known source's name, else `unknown` (an attacker's path never becomes a dimension). */
export const sourceDimension = (source: string | undefined): string =>
  source !== undefined && (SOURCE_NAMES as readonly string[]).includes(source) ? source : "unknown";

/** What an ingest outcome counts as. Requests for unknown sources are not counted (they are logged). */
export function webhookMetric(outcome: string): MetricName | undefined {
  switch (outcome) {
    case "accepted":
    case "uid_unresolved":
      return METRIC.webhooksAccepted;
    case "ignored":
      return METRIC.webhooksIgnored;
    case "invalid_signature":
      return METRIC.webhooksInvalidSignature;
    case "invalid_payload":
      return METRIC.webhooksInvalidPayload;
    case "too_large":
      return METRIC.webhooksTooLarge;
    case "queue_unavailable":
    case "error":
      return METRIC.webhooksUnavailable;
    default:
      return undefined;
  }
}

/** What a delivery outcome counts as (dead letters also by reason, as `dead_letters_<reason>`). */
export function deliveryMetrics(outcome: string, reason: string | undefined): MetricName[] {
  switch (outcome) {
    case "delivered":
      return [METRIC.deliveriesDelivered];
    case "stale":
      return [METRIC.deliveriesStale];
    case "failed":
    case "deferred":
      return [METRIC.deliveriesRetried];
    case "dead_lettered":
      return [METRIC.deliveriesDeadLettered, `dead_letters_${reason ?? "unknown"}`];
    default:
      return [];
  }
}

function statusMetric(status: number | undefined): MetricName {
  if (status === undefined) return METRIC.fullstoryNoAnswer;
  if (status < 300) return METRIC.fullstory2xx;
  return status < 500 ? METRIC.fullstory4xx : METRIC.fullstory5xx;
}

const LATENCIES_PER_LINE = 99;

type Stored = { counts: Map<MetricName, number>; latencies: number[] };

/**
 * EMF through Powertools: values are kept per source and written at `flush`, one EMF line per
 * source (Powertools keeps one dimension set per line). `write` replaces stdout in tests.
 */
export function createEmfMetrics({ stage, write }: { stage: string; write?: (line: string) => void }): MetricsSink {
  const metrics = new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, defaultDimensions: { stage } });
  // Powertools writes EMF to its own console on stdout, where Lambda's log agent picks it up.
  if (write) (metrics as unknown as { console: { log(line: string): void } }).console = { log: write };
  const bySource = new Map<string, Stored>();
  const stored = (source: string): Stored => {
    const key = sourceDimension(source);
    let s = bySource.get(key);
    if (!s) bySource.set(key, (s = { counts: new Map(), latencies: [] }));
    return s;
  };
  return {
    count(source, name, value = 1) {
      const s = stored(source);
      s.counts.set(name, (s.counts.get(name) ?? 0) + value);
    },
    fullstory(source, ms, status) {
      const s = stored(source);
      s.latencies.push(Math.round(ms * 1000) / 1000);
      s.counts.set(statusMetric(status), (s.counts.get(statusMetric(status)) ?? 0) + 1);
    },
    flush() {
      for (const [source, s] of bySource) {
        metrics.addDimension("source", source);
        for (const [name, value] of s.counts) metrics.addMetric(name, MetricUnit.Count, value);
        // EMF takes at most 100 values per metric in a line, and Powertools publishes (dropping the
        // line's dimensions) when one reaches it: latencies go out 99 per line, each with its source.
        for (let i = 0; i < s.latencies.length; i += LATENCIES_PER_LINE) {
          if (i > 0) metrics.addDimension("source", source);
          for (const ms of s.latencies.slice(i, i + LATENCIES_PER_LINE)) metrics.addMetric(METRIC.fullstoryLatency, MetricUnit.Milliseconds, ms);
          metrics.publishStoredMetrics();
        }
        if (s.latencies.length === 0) metrics.publishStoredMetrics();
      }
      bySource.clear();
    },
  };
}

/** Local mode's metrics: counters since start, per source, for `GET /healthz?details` and `npm run status`. */
export function createCounters(): MetricsSink & { snapshot(): Record<string, Record<string, number>> } {
  const counts = new Map<string, Map<string, number>>();
  const add = (source: string, name: string, value: number) => {
    const key = sourceDimension(source);
    const of = counts.get(key) ?? new Map<string, number>();
    of.set(name, (of.get(name) ?? 0) + value);
    counts.set(key, of);
  };
  return {
    count: (source, name, value = 1) => add(source, name, value),
    fullstory: (source, _ms, status) => add(source, statusMetric(status), 1),
    flush: () => {},
    snapshot: () => Object.fromEntries([...counts].map(([source, of]) => [source, Object.fromEntries(of)])),
  };
}
