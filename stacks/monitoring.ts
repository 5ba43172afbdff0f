import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from "../functions/metric-names";
import { alarmPrefix, type StageSettings } from "./settings";

/**
 * What watches a stage besides the dead-letter alarm (stacks/alarm.ts): alarms for the failures that
 * put nothing on the dead-letter queue, and one dashboard. Every alarm tells the stage's
 * `alarmTopicArns` when it goes off and when it is back to OK; docs/operating.md says what each
 * means and what to do. The bridge's own metrics are the EMF ones of functions/metrics.ts.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */

export interface Watched {
  queue: sst.aws.Queue;
  deadLetter: sst.aws.Queue;
  ingest: sst.aws.Function;
  deliver: sst.aws.Function;
}

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** One of the bridge's metrics for `source` on this stage, for a metric-math alarm or a dashboard. */
const bridgeMetric = (settings: StageSettings, name: string, source: string) => ({
  namespace: METRICS_NAMESPACE,
  metricName: name,
  dimensions: { service: METRICS_SERVICE, stage: settings.stage, source },
});

export function createMonitoring(settings: StageSettings, watched: Watched) {
  const actions = { alarmActions: settings.alarmTopicArns, okActions: settings.alarmTopicArns };
  const prefix = alarmPrefix(settings.stage);
  const queueName = watched.queue.nodes.queue.name;

  // Fullstory rate-limits or is down: messages wait on the queue without failing for good.
  new aws.cloudwatch.MetricAlarm("QueueAgeAlarm", {
    name: `${prefix}queue-age`,
    alarmDescription: `The oldest event has waited over ${settings.queueAgeAlarmMinutes} min to be delivered. See docs/operating.md#queue-age.`,
    namespace: "AWS/SQS",
    metricName: "ApproximateAgeOfOldestMessage",
    dimensions: { QueueName: queueName },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 5,
    threshold: settings.queueAgeAlarmMinutes * 60,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    ...actions,
  });

  // A secret rotated wrongly: a source's webhooks answered 401, which the source retries then drops.
  for (const source of settings.sources) {
    const sum = (id: string, name: string) => ({ id, returnData: false, metric: { ...bridgeMetric(settings, name, source), period: 900, stat: "Sum" } });
    new aws.cloudwatch.MetricAlarm(`InvalidSignatureAlarm${pascal(source)}`, {
      name: `${prefix}${source}-invalid-signatures`,
      alarmDescription: `Over ${settings.invalidSignatureAlarmPercent} % of ${source}'s webhooks fail their signature check. See docs/operating.md#invalid-signatures.`,
      metricQueries: [
        sum("invalid", METRIC.webhooksInvalidSignature),
        sum("accepted", METRIC.webhooksAccepted),
        sum("ignored", METRIC.webhooksIgnored),
        sum("refused", METRIC.webhooksInvalidPayload),
        {
          id: "share",
          label: "invalid signatures (%)",
          returnData: true,
          // At least 5 webhooks in the window, so one stray forged request does not page anyone.
          expression: "IF(FILL(invalid,0) + FILL(accepted,0) + FILL(ignored,0) + FILL(refused,0) >= 5, 100 * FILL(invalid,0) / (FILL(invalid,0) + FILL(accepted,0) + FILL(ignored,0) + FILL(refused,0)), 0)",
        },
      ],
      evaluationPeriods: 1,
      threshold: settings.invalidSignatureAlarmPercent,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      ...actions,
    });
  }

  // A bug, a setting the function cannot read, a timeout: the function itself failed.
  for (const [id, fn] of [["Ingest", watched.ingest], ["Deliver", watched.deliver]] as const) {
    new aws.cloudwatch.MetricAlarm(`${id}ErrorsAlarm`, {
      name: `${prefix}${id.toLowerCase()}-errors`,
      alarmDescription: `The ${id.toLowerCase()} function failed. See docs/operating.md#function-errors.`,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: fn.name },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      ...actions,
    });
  }

  // Nothing arrives at all (the sender stopped, the endpoint was removed): only where a stage asks.
  if (settings.quietAlarmMinutes !== undefined) {
    const periods = Math.ceil(settings.quietAlarmMinutes / 5);
    const accepted = settings.sources.map((source, i) => ({
      id: `a${i}`,
      returnData: false,
      metric: { ...bridgeMetric(settings, METRIC.webhooksAccepted, source), period: 300, stat: "Sum" },
    }));
    new aws.cloudwatch.MetricAlarm("QuietAlarm", {
      name: `${prefix}quiet`,
      alarmDescription: `No webhook accepted for ${settings.quietAlarmMinutes} min. See docs/operating.md#quiet.`,
      metricQueries: [...accepted, { id: "total", label: "webhooks accepted", returnData: true, expression: accepted.map((a) => `FILL(${a.id},0)`).join(" + ") }],
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      threshold: 0,
      comparisonOperator: "LessThanOrEqualToThreshold",
      treatMissingData: "breaching",
      ...actions,
    });
  }

  return new aws.cloudwatch.Dashboard("Dashboard", {
    dashboardName: `${METRICS_SERVICE}-${settings.stage}`,
    dashboardBody: $jsonStringify({
      widgets: dashboardWidgets(settings, { queueName, deadLetterName: watched.deadLetter.nodes.queue.name, ingest: watched.ingest.name, deliver: watched.deliver.name }),
    }),
  });
}

type Names = { queueName: $util.Output<string>; deadLetterName: $util.Output<string>; ingest: $util.Output<string>; deliver: $util.Output<string> };

/** The dashboard's graphs, two per row. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html */
function dashboardWidgets(settings: StageSettings, names: Names) {
  const region = aws.getRegionOutput().name;
  const dims = (source: string) => ["service", METRICS_SERVICE, "stage", settings.stage, "source", source];
  const bySource = (metricNames: string[], stat = "Sum") =>
    settings.sources.flatMap((source) => metricNames.map((name) => [METRICS_NAMESPACE, name, ...dims(source), { stat, label: `${source} ${name}` }]));
  const graph = (title: string, metrics: unknown[], i: number, extra: Record<string, unknown> = {}) => ({
    type: "metric",
    x: (i % 2) * 12,
    y: Math.floor(i / 2) * 6,
    width: 12,
    height: 6,
    properties: { title, region, view: "timeSeries", period: 300, metrics, ...extra },
  });
  const webhookNames = [METRIC.webhooksAccepted, METRIC.webhooksIgnored, METRIC.webhooksInvalidSignature, METRIC.webhooksInvalidPayload, METRIC.webhooksTooLarge, METRIC.webhooksUnavailable];
  const deliveryNames = [METRIC.deliveriesDelivered, METRIC.deliveriesRetried, METRIC.deliveriesStale, METRIC.deliveriesDeadLettered];
  const lambda = (metric: string) => [["AWS/Lambda", metric, "FunctionName", names.ingest, { stat: "Sum" }], ["AWS/Lambda", metric, "FunctionName", names.deliver, { stat: "Sum" }]];
  return [
    graph("Webhooks by source and outcome", bySource(webhookNames), 0, { stacked: true }),
    graph("Deliveries and dead letters", [...bySource(deliveryNames), ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", names.deadLetterName, { stat: "Maximum", label: "dead letters waiting" }]], 1),
    graph("Queue depth and oldest message (s)", [
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", names.queueName, { stat: "Maximum", label: "depth" }],
      ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", names.queueName, { stat: "Maximum", label: "oldest (s)", yAxis: "right" }],
    ], 2),
    graph("Fullstory latency (ms)", [...bySource([METRIC.fullstoryLatency], "p50"), ...bySource([METRIC.fullstoryLatency], "p99")], 3),
    graph("Function errors and throttles", [...lambda("Errors"), ...lambda("Throttles")], 4),
    graph("Fullstory answers, Stripe calls, lifecycle events", bySource([METRIC.fullstory2xx, METRIC.fullstory4xx, METRIC.fullstory5xx, METRIC.fullstoryNoAnswer, METRIC.stripeApiCalls, METRIC.lifecycleEventsSent]), 5),
  ];
}
