import { gunzipSync, gzipSync } from "node:zlib";
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeDefinition,
  type AttributeValue,
  type KeySchemaElement,
  type BatchGetItemCommandOutput,
  type BatchWriteItemCommandOutput,
  type WriteRequest,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { BridgeError, ErrorCode } from "../errors";
import { FailureSchema } from "../message";
import { stateKey, type ParkedLetter, type StateCallOptions, type StateSnapshot, type StateStore } from "./port";

/**
 * The state store on a deployed stage: one DynamoDB table (on-demand, `pk` and `sk` strings, TTL
 * on `expires_at`), reached through the low-level client with the table's own key layout:
 *
 * | item | pk | sk | attributes |
 * |---|---|---|---|
 * | a subject's uid | `uid#<source>#<subject>` | `uid` | `uid`, `updated_at` |
 * | a watermark | `order#<source>#<key>` | `order` | `at`, `expires_at` (35 days) |
 * | a lifecycle event sent | `sent#<id>` | `sent` | `expires_at` (15 days) |
 * | a waiting letter | `parked` | `<source>#<subject>#<parked at>#<deduplication id>` | `body` (gzip), `group_id`, `dedup_id`, `failure`, `expires_at` (14 days) |
 *
 * Waiting letters share one partition, so one Query lists them all and a `begins_with` finds a
 * subject's; they are few (they wait minutes, or days at most, like dead letters).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html
 */

/** DynamoDB's item limit is 400 KB, names and values together; a compressed body must leave room for the rest. */
export const MAX_PARKED_BODY_BYTES = 350_000;
/** BatchGetItem takes at most 100 keys. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html */
const BATCH_GET_KEYS = 100;
const DAY_SECONDS = 86_400;
/** Stripe retries for three days and dead letters wait fourteen: a watermark older than that guards nothing. */
const WATERMARK_TTL_SECONDS = 35 * DAY_SECONDS;
/** As long as SQS keeps a dead letter. */
const PARKED_TTL_SECONDS = 14 * DAY_SECONDS;
const PARKED_PK = "parked";
/** A day longer than a dead letter is kept: a redrive never meets an event sent before it was parked. */
const SENT_TTL_SECONDS = 15 * DAY_SECONDS;
/** BatchWriteItem takes at most 25 requests. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html */
const BATCH_WRITE_ITEMS = 25;

// Sources and subjects are providers' ids; `#` separates the parts of a key, so it is escaped.
const part = (text: string): string => encodeURIComponent(text);
const uidKey = (source: string, subject: string) => ({ pk: { S: `uid#${part(source)}#${part(subject)}` }, sk: { S: "uid" } });
const orderKey = (source: string, key: string) => ({ pk: { S: `order#${part(source)}#${part(key)}` }, sk: { S: "order" } });
const sentKey = (id: string) => ({ pk: { S: `sent#${part(id)}` }, sk: { S: "sent" } });
const subjectPrefix = (source: string, subject: string) => `${part(source)}#${part(subject)}#`;

export interface DynamoStateOptions {
  tableName: string;
  /** Created once per container by the caller; tests pass one pointed at a loopback emulator. */
  client: DynamoDBClient;
  now?: () => number;
}

export function createDynamoStateStore({ tableName, client, now = Date.now }: DynamoStateOptions): StateStore {
  const call = async <T>(options: StateCallOptions | undefined, work: (abortSignal: AbortSignal | undefined) => Promise<T>): Promise<T> => {
    const abortSignal = options?.timeoutMs === undefined ? undefined : AbortSignal.timeout(Math.max(0, options.timeoutMs));
    try {
      return await work(abortSignal);
    } catch (cause) {
      if (cause instanceof BridgeError) throw cause;
      throw new BridgeError(ErrorCode.StateUnavailable, "The state table could not be read or written.", { cause });
    }
  };
  const epochSeconds = () => Math.floor(now() / 1000);

  const query = (prefix: string, options?: StateCallOptions) =>
    call(options, async (abortSignal) => {
      const letters: ParkedLetter[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: prefix === "" ? "pk = :pk" : "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: { ":pk": { S: PARKED_PK }, ...(prefix === "" ? {} : { ":prefix": { S: prefix } }) },
            ExclusiveStartKey: start,
          }),
          { abortSignal },
        );
        for (const item of out.Items ?? []) letters.push(letterOf(item));
        start = out.LastEvaluatedKey;
      } while (start);
      return letters;
    });

  return {
    read: (request, options) =>
      call(options, async (abortSignal) => {
        const snapshot: StateSnapshot = { uids: new Map(), watermarks: new Map(), sent: new Set() };
        const keys = [
          ...request.subjects.map((s) => uidKey(s.source, s.subject)),
          ...request.orders.map((o) => orderKey(o.source, o.key)),
          ...(request.sent ?? []).map(sentKey),
        ];
        const unique = [...new Map(keys.map((k) => [k.pk.S, k])).values()];
        for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) {
          let pending: Record<string, AttributeValue>[] | undefined = unique.slice(i, i + BATCH_GET_KEYS);
          // Unprocessed keys come back when the table is throttled: ask again, a few times.
          for (let round = 0; pending && pending.length > 0; round++) {
            if (round === 4) throw new BridgeError(ErrorCode.StateUnavailable, "The state table kept keys unprocessed (throttled).");
            const out: BatchGetItemCommandOutput = await client.send(
              new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
              { abortSignal },
            );
            for (const item of out.Responses?.[tableName] ?? []) record(snapshot, item);
            pending = out.UnprocessedKeys?.[tableName]?.Keys;
          }
        }
        return snapshot;
      }),

    learn: (source, subject, uid, options) =>
      call(options, async (abortSignal) => {
        const out = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: uidKey(source, subject),
            UpdateExpression: "SET #uid = :uid, updated_at = :now",
            ExpressionAttributeNames: { "#uid": "uid" },
            ExpressionAttributeValues: { ":uid": { S: uid }, ":now": { N: String(epochSeconds()) } },
            ReturnValues: "UPDATED_OLD",
          }),
          { abortSignal },
        );
        const before = out.Attributes?.uid?.S;
        return before === undefined ? { changed: true } : before === uid ? { changed: false } : { changed: true, previous: before };
      }),

    advance: (source, key, at, options) =>
      call(options, async (abortSignal) => {
        try {
          await client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: orderKey(source, key),
              UpdateExpression: "SET #at = :at, expires_at = :expires",
              ConditionExpression: "attribute_not_exists(#at) OR #at < :at",
              ExpressionAttributeNames: { "#at": "at" },
              ExpressionAttributeValues: { ":at": { N: String(at) }, ":expires": { N: String(epochSeconds() + WATERMARK_TTL_SECONDS) } },
            }),
            { abortSignal },
          );
        } catch (err) {
          // Already at or past `at` (another delivery got there first): nothing to raise.
          if (!(err instanceof ConditionalCheckFailedException)) throw err;
        }
      }),

    markSent: (ids, options) =>
      call(options, async (abortSignal) => {
        const expires = { N: String(epochSeconds() + SENT_TTL_SECONDS) };
        const unique = [...new Set(ids)];
        for (let i = 0; i < unique.length; i += BATCH_WRITE_ITEMS) {
          let pending: WriteRequest[] | undefined = unique.slice(i, i + BATCH_WRITE_ITEMS).map((id) => ({ PutRequest: { Item: { ...sentKey(id), expires_at: expires } } }));
          for (let round = 0; pending && pending.length > 0; round++) {
            if (round === 4) throw new BridgeError(ErrorCode.StateUnavailable, "The state table kept writes unprocessed (throttled).");
            const out: BatchWriteItemCommandOutput = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }), { abortSignal });
            pending = out.UnprocessedItems?.[tableName];
          }
        }
      }),

    park: (letter, options) =>
      call(options, async (abortSignal) => {
        const body = gzipSync(letter.body);
        if (body.byteLength > MAX_PARKED_BODY_BYTES) {
          throw new BridgeError(ErrorCode.StateItemTooLarge, `A letter of ${body.byteLength} compressed bytes cannot wait in the state table.`);
        }
        const parkedAt = new Date(now()).toISOString();
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: PARKED_PK },
              sk: { S: `${subjectPrefix(letter.source, letter.subject)}${parkedAt}#${letter.deduplicationId}` },
              source: { S: letter.source },
              subject: { S: letter.subject },
              body: { B: body },
              group_id: { S: letter.groupId },
              dedup_id: { S: letter.deduplicationId },
              failure: { S: JSON.stringify(letter.failure) },
              expires_at: { N: String(epochSeconds() + PARKED_TTL_SECONDS) },
            },
          }),
          { abortSignal },
        );
      }),

    waiting: (source, subject, options) => query(subjectPrefix(source, subject), options),

    unpark: (letter, options) =>
      call(options, async (abortSignal) => {
        await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: PARKED_PK }, sk: { S: letter.id } } }), { abortSignal });
      }),

    listParked: () => query(""),
  };
}

function record(snapshot: StateSnapshot, item: Record<string, AttributeValue>): void {
  const pk = item.pk?.S ?? "";
  // `uid#<source>#<subject>`, `order#<source>#<key>`, `sent#<id>`.
  const [kind, source, key] = pk.split("#").map(decodeURIComponent);
  if (kind === "uid" && source !== undefined && key !== undefined && item.uid?.S) snapshot.uids.set(stateKey(source, key), item.uid.S);
  if (kind === "order" && source !== undefined && key !== undefined && item.at?.N) snapshot.watermarks.set(stateKey(source, key), Number(item.at.N));
  if (kind === "sent" && source !== undefined) snapshot.sent.add(source); // the id, in the first part
}

function letterOf(item: Record<string, AttributeValue>): ParkedLetter {
  const body = item.body?.B;
  return {
    id: item.sk?.S ?? "",
    source: item.source?.S ?? "",
    subject: item.subject?.S ?? "",
    body: body ? gunzipSync(body).toString("utf8") : "",
    groupId: item.group_id?.S ?? "",
    deduplicationId: item.dedup_id?.S ?? "",
    failure: FailureSchema.parse(JSON.parse(item.failure?.S ?? "{}")),
  };
}

/** The state table's key schema, as the stack declares it and tests create it (`pk` hash, `sk` range). */
export const STATE_TABLE_KEYS: { AttributeDefinitions: AttributeDefinition[]; KeySchema: KeySchemaElement[] } = {
  AttributeDefinitions: [
    { AttributeName: "pk", AttributeType: "S" },
    { AttributeName: "sk", AttributeType: "S" },
  ],
  KeySchema: [
    { AttributeName: "pk", KeyType: "HASH" },
    { AttributeName: "sk", KeyType: "RANGE" },
  ],
};

/** The stage's state store from `config` (BRIDGE_STATE_TABLE). */
export function dynamoStateFromConfig(tableName: string | undefined, client: DynamoDBClient): StateStore {
  if (!tableName) throw new BridgeError(ErrorCode.ConfigInvalid, "BRIDGE_STATE_TABLE must be set.");
  return createDynamoStateStore({ tableName, client });
}
