import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from "../functions/metric-names";

/** What `npm run status -- --stage` reads from CloudWatch. */
export interface CloudWatchReader {
  /** Per source, the sum of each metric over the last `minutes`. */
  sums(stage: string, sources: readonly string[], minutes: number): Promise<Record<string, Record<string, number>>>;
  /** The main queue's `ApproximateAgeOfOldestMessage` (s) over the last 5 minutes, if SQS reported one. */
  oldestAgeSeconds(queueName: string): Promise<number | undefined>;
  /** Names of the alarms starting with `prefix` that are in ALARM. */
  firingAlarms(prefix: string): Promise<string[]>;
}

/** The metrics status sums per source: webhooks and deliveries by outcome, and lifecycle events sent. */
export const STATUS_METRICS = [
  METRIC.webhooksAccepted,
  METRIC.webhooksIgnored,
  METRIC.webhooksInvalidSignature,
  METRIC.webhooksInvalidPayload,
  METRIC.webhooksTooLarge,
  METRIC.webhooksUnavailable,
  METRIC.deliveriesDelivered,
  METRIC.deliveriesRetried,
  METRIC.deliveriesStale,
  METRIC.deliveriesDeadLettered,
  METRIC.lifecycleEventsSent,
] as const;

/**
 * The reader over the official CloudWatch client: one GetMetricData for every (source, metric) sum
 * (at most 500 queries a call), DescribeAlarms by name prefix.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */
export function cloudWatchReader(client: CloudWatchClient = new CloudWatchClient({})): CloudWatchReader {
  const query = async (queries: MetricDataQuery[], minutes: number) => {
    const end = new Date();
    const start = new Date(end.getTime() - minutes * 60_000);
    const values = new Map<string, number>();
    let next: string | undefined;
    do {
      const out = await client.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end, NextToken: next }));
      for (const r of out.MetricDataResults ?? []) if (r.Id) values.set(r.Id, (values.get(r.Id) ?? 0) + (r.Values ?? []).reduce((a, b) => a + b, 0));
      next = out.NextToken;
    } while (next);
    return values;
  };
  return {
    async sums(stage, sources, minutes) {
      const ids: { id: string; source: string; name: string }[] = [];
      const queries: MetricDataQuery[] = [];
      for (const [si, source] of sources.entries()) {
        for (const [mi, name] of STATUS_METRICS.entries()) {
          const id = `m${si}_${mi}`;
          ids.push({ id, source, name });
          queries.push({
            Id: id,
            MetricStat: {
              Metric: { Namespace: METRICS_NAMESPACE, MetricName: name, Dimensions: [{ Name: "service", Value: METRICS_SERVICE }, { Name: "stage", Value: stage }, { Name: "source", Value: source }] },
              Period: minutes * 60,
              Stat: "Sum",
            },
          });
        }
      }
      const values = await query(queries, minutes);
      const out: Record<string, Record<string, number>> = {};
      for (const { id, source, name } of ids) {
        const value = values.get(id) ?? 0;
        if (value > 0) (out[source] ??= {})[name] = value;
      }
      return out;
    },
    async oldestAgeSeconds(queueName) {
      const values = await query(
        [{ Id: "age", MetricStat: { Metric: { Namespace: "AWS/SQS", MetricName: "ApproximateAgeOfOldestMessage", Dimensions: [{ Name: "QueueName", Value: queueName }] }, Period: 300, Stat: "Maximum" } }],
        5,
      );
      return values.get("age");
    },
    async firingAlarms(prefix) {
      const names: string[] = [];
      let next: string | undefined;
      do {
        const out = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, StateValue: "ALARM", NextToken: next }));
        for (const a of out.MetricAlarms ?? []) if (a.AlarmName) names.push(a.AlarmName);
        next = out.NextToken;
      } while (next);
      return names;
    },
  };
}
