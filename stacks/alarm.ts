import type { StageSettings } from "./settings";

/**
 * An alarm that goes off as soon as one message waits on the dead-letter queue. SQS publishes queue
 * metrics only while a queue is active, so a gap in the data keeps the alarm's state rather than
 * turning it back to OK while letters still wait.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
 */
export function createDeadLetterAlarm(settings: StageSettings, deadLetter: sst.aws.Queue) {
  return new aws.cloudwatch.MetricAlarm("DeadLetterAlarm", {
    name: `${$app.name}-${settings.stage}-dead-letters`,
    alarmDescription: `Dead letters are waiting. List them with: npm run dlq -- list --stage ${settings.stage}`,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: deadLetter.nodes.queue.name },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "ignore",
    alarmActions: settings.alarmTopicArns,
    okActions: settings.alarmTopicArns,
  });
}
