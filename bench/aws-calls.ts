/**
 * Counts what the AWS SDK clients of a benchmark run ask of AWS, the way AWS bills it: calls per
 * operation; SQS requests with each 64 KB of payload counted as one request; DynamoDB read and
 * write request units as the table reports them (`ReturnConsumedCapacity: TOTAL`, added to every
 * call by a middleware, so the functions' own code is unchanged). Reads of items that do not exist,
 * Queries that find nothing and conditional writes whose condition fails are charged all the same.
 * https://aws.amazon.com/sqs/pricing/ https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 */
export interface AwsCalls {
  /** Calls by operation (`SendMessage`, `BatchGetItem`, `GetParameter`, …), failed ones included. */
  calls: Record<string, number>;
  /** SQS requests as billed: one per call, or one per 64 KB of message bodies when more. */
  sqsBilledRequests: number;
  /** DynamoDB request units consumed (a strongly consistent read of up to 4 KB is one read unit; a write of up to 1 KB one write unit). */
  dynamoReadUnits: number;
  dynamoWriteUnits: number;
}

export const emptyCalls = (): AwsCalls => ({ calls: {}, sqsBilledRequests: 0, dynamoReadUnits: 0, dynamoWriteUnits: 0 });

/** Each 64 KB of a request's payload is billed as one request. */
const SQS_CHUNK_BYTES = 64 * 1024;
const DYNAMO_WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]);
const DYNAMO_OPERATIONS = new Set([...DYNAMO_WRITES, "GetItem", "BatchGetItem", "Query"]);
const QUERY_MIN_UNITS = 0.5;
const SQS_OPERATIONS = new Set(["SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"]);

type Json = Record<string, unknown>;
type Handler = (args: { input: Json }) => Promise<{ output: Json }>;

/** The part of an AWS SDK v3 client this needs (SQSClient, DynamoDBClient, SSMClient all have it). */
export interface Instrumentable {
  middlewareStack: { add(middleware: never, options: { step: "initialize"; name: string }): void };
}

const bytes = (text: unknown) => (typeof text === "string" ? Buffer.byteLength(text) : 0);
const chunks = (n: number) => Math.max(1, Math.ceil(n / SQS_CHUNK_BYTES));

function sqsPayload(operation: string, input: Json, output: Json | undefined): number {
  if (operation === "SendMessage") return bytes(input.MessageBody);
  if (operation === "SendMessageBatch") return ((input.Entries as Json[] | undefined) ?? []).reduce((n, e) => n + bytes(e.MessageBody), 0);
  if (operation === "ReceiveMessage") return ((output?.Messages as Json[] | undefined) ?? []).reduce((n, m) => n + bytes(m.Body), 0);
  return 0;
}

function capacity(output: Json | undefined): number {
  const consumed = output?.ConsumedCapacity as Json | Json[] | undefined;
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((n, c) => n + Number(c.CapacityUnits ?? 0), 0);
}

/** Adds `client`'s calls to `tally` from now on. */
export function countCalls(client: Instrumentable, tally: AwsCalls): void {
  const middleware = (next: Handler, context: { commandName?: string }): Handler =>
    async (args) => {
      const operation = (context.commandName ?? "Unknown").replace(/Command$/, "");
      tally.calls[operation] = (tally.calls[operation] ?? 0) + 1;
      const dynamo = DYNAMO_OPERATIONS.has(operation);
      if (dynamo) args.input.ReturnConsumedCapacity = "TOTAL";
      try {
        const result = await next(args);
        if (SQS_OPERATIONS.has(operation)) tally.sqsBilledRequests += chunks(sqsPayload(operation, args.input, result.output));
        if (dynamo && DYNAMO_WRITES.has(operation)) tally.dynamoWriteUnits += capacity(result.output);
        // A Query that finds nothing is still charged for the partition it searched (dynalite says 0):
        // half a unit, eventually consistent, as the state store's Query is.
        else if (operation === "Query") tally.dynamoReadUnits += Math.max(QUERY_MIN_UNITS, capacity(result.output));
        else if (dynamo) tally.dynamoReadUnits += capacity(result.output);
        return result;
      } catch (err) {
        if (SQS_OPERATIONS.has(operation)) tally.sqsBilledRequests += 1;
        // A conditional write that fails its condition still consumes a write unit (read-write-operations, above).
        if ((err as { name?: string }).name === "ConditionalCheckFailedException") tally.dynamoWriteUnits += 1;
        throw err;
      }
    };
  client.middlewareStack.add(middleware as never, { step: "initialize", name: "benchCallCounter" });
}

/** `a` + `b`, field by field. */
export function addCalls(a: AwsCalls, b: AwsCalls): AwsCalls {
  const calls = { ...a.calls };
  for (const [k, v] of Object.entries(b.calls)) calls[k] = (calls[k] ?? 0) + v;
  return {
    calls,
    sqsBilledRequests: a.sqsBilledRequests + b.sqsBilledRequests,
    dynamoReadUnits: a.dynamoReadUnits + b.dynamoReadUnits,
    dynamoWriteUnits: a.dynamoWriteUnits + b.dynamoWriteUnits,
  };
}
