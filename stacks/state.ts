import type { StageSettings } from "./settings";

/**
 * The bridge's state table (functions/state/dynamo.ts has its key layout): the identity directory,
 * the stale-event guard's watermarks and the letters waiting for a uid. On demand (SST's default),
 * with DynamoDB's TTL on `expires_at` so that watermarks and waiting letters expire by themselves.
 * On production it is kept when the stage or the table is removed (`retainOnDelete`, through SST's
 * transform, as for the queues: an identity directory is not rebuilt by redeploying).
 * https://sst.dev/docs/component/aws/dynamo https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
 */
export function createStateTable(settings: StageSettings) {
  return new sst.aws.Dynamo("State", {
    fields: { pk: "string", sk: "string" },
    primaryIndex: { hashKey: "pk", rangeKey: "sk" },
    ttl: "expires_at",
    transform: {
      table: (_args, opts) => {
        if (settings.production) opts.retainOnDelete = true;
      },
    },
  });
}

/** What deliver (and only deliver) does with the state table: one-item reads and writes, batched reads and writes, queries of one partition. */
export function stateTableAccess(table: sst.aws.Dynamo) {
  return {
    actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"],
    resources: [table.arn],
  };
}
