import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { buildApp } from "fauxqs";

export interface FifoQueue {
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

export interface FifoQueueOptions {
  /** Receives before SQS's redrive policy moves a message to the dead-letter queue (default 5). */
  maxReceiveCount?: number;
  visibilityTimeoutSeconds?: number;
}

export interface LoopbackSqs {
  /** `http://127.0.0.1:<port>`, for SDK clients or AWS_ENDPOINT_URL_SQS. */
  endpoint: string;
  /** A real SQS client pointed at the emulator, with dummy credentials. */
  client: SQSClient;
  /** Creates `<name>.fifo` with a `<name>-dlq.fifo` dead-letter queue wired by a redrive policy. */
  createFifoQueue(name: string, opts?: FifoQueueOptions): Promise<FifoQueue>;
  stop(): Promise<void>;
}

/** A real SQS client for `endpoint` (us-east-1, dummy credentials). */
export function sqsClient(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
}

/**
 * Starts fauxqs 1.9.2 in-process on 127.0.0.1 and an ephemeral port, through `buildApp()` and
 * `listen` (its `startFauxqs` binds every interface). The caller stops it.
 */
export async function startSqs(): Promise<LoopbackSqs> {
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ host: "127.0.0.1", port: 0 });
  const client = sqsClient(endpoint);

  const create = async (name: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: "true", ...attributes } }));
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`fauxqs did not create ${name}`);
    return { url: QueueUrl, arn: Attributes.QueueArn };
  };

  return {
    endpoint,
    client,
    async createFifoQueue(name, { maxReceiveCount = 5, visibilityTimeoutSeconds = 30 } = {}) {
      const dlq = await create(`${name}-dlq.fifo`, {});
      const main = await create(`${name}.fifo`, {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: String(maxReceiveCount) }),
      });
      return { queueUrl: main.url, queueArn: main.arn, deadLetterQueueUrl: dlq.url, deadLetterQueueArn: dlq.arn };
    },
    async stop() {
      client.destroy();
      await app.close();
    },
  };
}
