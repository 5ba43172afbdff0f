import { SQS_LIMITS } from "../functions/queue/limits";
import { readParameters } from "./iam";
import { deliverEnvironment, type StageSettings } from "./settings";
import { stateTableAccess } from "./state";

// Dead letters wait for a redrive as long as SQS keeps anything (14 days; the default is 4).
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
const FOURTEEN_DAYS = 14 * 24 * 60 * 60;

/**
 * What both queues set through SST's `transform`, which hands it the SQS queue's arguments and
 * options before the queue is created (platform/src/components/aws/queue.ts, `transform` in
 * component.ts): the largest message SQS takes, which the SQS adapter enforces too, set rather
 * than left to a default; and on production, `retainOnDelete`, so the queue and the
 * events waiting in it survive `sst remove` and its own removal from the stacks. The app's
 * `removal: "retain"` does not cover queues: it keeps only tables, buckets, databases and
 * networks (platform/src/auto/run.ts). `removal: "retain-all"` would, but it would also leave
 * the functions, their roles and grants, the API and the alarm behind in the account.
 * https://sst.dev/docs/reference/config/#removal
 * https://www.pulumi.com/docs/iac/concepts/options/retainondelete/
 */
function queueBasics(settings: StageSettings, args: aws.sqs.QueueArgs, opts: $util.CustomResourceOptions) {
  args.maxMessageSize = SQS_LIMITS.messageBytes;
  if (settings.production) opts.retainOnDelete = true;
}

/**
 * The FIFO queue between ingest and deliver, its FIFO dead-letter queue (SQS requires both of a
 * pair to be FIFO), and the deliver function subscribed with partial batch responses. Content-based
 * deduplication stays off: ingest sets each message's MessageDeduplicationId itself.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
export function createQueues(settings: StageSettings, state: sst.aws.Dynamo) {
  const deadLetter = new sst.aws.Queue("DeadLetterQueue", {
    fifo: { contentBasedDeduplication: false },
    transform: {
      queue: (args, opts) => {
        queueBasics(settings, args, opts);
        args.messageRetentionSeconds = FOURTEEN_DAYS;
      },
    },
  });
  const queue = new sst.aws.Queue("Queue", {
    fifo: { contentBasedDeduplication: false },
    visibilityTimeout: `${settings.visibilityTimeoutSeconds} seconds`,
    dlq: { queue: deadLetter.arn, retry: settings.maxReceiveCount },
    transform: {
      queue: (args, opts) => {
        queueBasics(settings, args, opts);
      },
    },
  });
  const urls = { BRIDGE_QUEUE_URL: queue.url, BRIDGE_DEAD_LETTER_QUEUE_URL: deadLetter.url, BRIDGE_STATE_TABLE: state.name };

  const deliver = new sst.aws.Function("Deliver", {
    handler: "functions/deliver.handler",
    runtime: "nodejs22.x",
    architecture: "arm64",
    memory: `${settings.memoryMb} MB`,
    timeout: `${settings.deliverTimeoutSeconds} seconds`,
    environment: { ...deliverEnvironment(settings), ...urls },
    permissions: [
      // What the SQS event source mapping does with the function's role: poll, delete the
      // delivered, hand back the failed. https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
      {
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        resources: [queue.arn],
      },
      // Permanent failures (Fullstory 4xx, unreadable messages) are parked by deliver itself.
      { actions: ["sqs:SendMessage"], resources: [deadLetter.arn] },
      // The identity directory, watermarks and waiting letters.
      stateTableAccess(state),
      // Both keys at once (functions/deliver.ts warmUp) when API mode adds Stripe's.
      ...readParameters([settings.parameters.fullstoryApiKey, ...(settings.parameters.stripeApiKey ? [settings.parameters.stripeApiKey] : [])], settings, {
        together: settings.parameters.stripeApiKey !== undefined,
      }),
    ],
  });
  // Subscribed by ARN, so SST creates no second function and adds no permissions of its own.
  // partialResponses defaults to false: without it one failure returns the whole batch.
  // https://sst.dev/docs/component/aws/queue-lambda-subscriber
  queue.subscribe(deliver.arn, { batch: { size: 10, partialResponses: true } });

  return { queue, deadLetter, deliver };
}
