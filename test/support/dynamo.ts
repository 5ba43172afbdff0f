import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
// dynalite ships no types; it exports one function that returns a node:http Server.
// @ts-expect-error -- untyped package
import dynalite from "dynalite";
import { STATE_TABLE_KEYS } from "../../functions/state/dynamo";

export interface LoopbackDynamo {
  /** `http://127.0.0.1:<port>`, for SDK clients or AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  /** A real DynamoDB client pointed at the emulator, with dummy credentials. */
  client: DynamoDBClient;
  /** Creates a state table (the stack's key schema, on-demand) and resolves with its name. */
  createStateTable(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** A real DynamoDB client for `endpoint` (us-east-1, dummy credentials). */
export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
}

/** Creates the bridge's state table (on demand, the stack's key schema) through `client`; resolves with its name. */
export async function createStateTableOn(client: DynamoDBClient, name: string): Promise<string> {
  await client.send(new CreateTableCommand({ TableName: name, BillingMode: "PAY_PER_REQUEST", ...STATE_TABLE_KEYS }));
  return name;
}

/**
 * Starts dynalite 4.0.0 (DynamoDB's own protocol and validation, conditional writes included) in
 * memory on 127.0.0.1 and an ephemeral port. The caller stops it.
 */
export async function startDynamo(): Promise<LoopbackDynamo> {
  const server = (dynalite as (options: Record<string, number>) => Server)({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = dynamoClient(endpoint);
  return {
    endpoint,
    client,
    createStateTable: (name) => createStateTableOn(client, name),
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
