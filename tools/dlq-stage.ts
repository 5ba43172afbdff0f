import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createDynamoStateStore } from "../functions/state/dynamo";
import type { DeadLetterBackend } from "./dead-letters";
import { defaultClient, queueRegion, sqsBackend, type SqsQueues } from "./dlq-sqs";
import { combinedBackend, waitingBackend } from "./dlq-waiting";

/**
 * A deployed stage's dead letters: the dead-letter queue's, and the letters waiting in its state
 * table for a uid when the table is known (`stateTableName` in the outputs, or --state-table).
 * Clients are the SDK's defaults for the queue's region unless given (tests point them at loopback).
 */
export function stageBackend(queues: SqsQueues, clients: { sqs?: SQSClient; dynamo?: DynamoDBClient } = {}): DeadLetterBackend {
  const client = clients.sqs ?? defaultClient(queues.deadLetterQueueUrl);
  if (!queues.stateTable) return sqsBackend(queues, client);
  const region = queueRegion(queues.deadLetterQueueUrl);
  const dynamo = clients.dynamo ?? new DynamoDBClient(region ? { region } : {});
  const state = createDynamoStateStore({ tableName: queues.stateTable, client: dynamo });
  return combinedBackend([sqsBackend(queues, client), waitingBackend(state, queues.queueUrl, client)]);
}
