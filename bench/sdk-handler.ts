import http from "node:http";
import type { FullStoryClient } from "@fullstory/server-api-client";
import type { SQSEvent } from "aws-lambda";
import { idempotencyKey, type QueueMessage } from "../functions/message";

type Sdk = typeof import("@fullstory/server-api-client");
/** Node's cap for agents made without `maxSockets` (Infinity unless set); read by the Agent constructor, not in @types/node. */
const agents = http.Agent as unknown as { defaultMaxSockets: number };
let loaded: { sdk: Sdk; maxSockets: number } | undefined;

/**
 * The official `@fullstory/server-api-client`, loaded so that its keep-alive agent opens at most
 * `maxSockets` sockets, the cap the bridge's pool has. The SDK builds its agents when it is first
 * loaded (`new http.Agent({ keepAlive: true })` in lib/http/index.js) and offers no option for
 * them, so Node's default cap is set around that first load and put back right after.
 */
export async function officialSdk(maxSockets: number): Promise<Sdk> {
  if (loaded) {
    if (loaded.maxSockets !== maxSockets) throw new Error(`the SDK was loaded with ${loaded.maxSockets} sockets, not ${maxSockets}`);
    return loaded.sdk;
  }
  const saved = agents.defaultMaxSockets;
  agents.defaultMaxSockets = maxSockets;
  try {
    loaded = { sdk: await import("@fullstory/server-api-client"), maxSockets };
  } finally {
    agents.defaultMaxSockets = saved;
  }
  return loaded.sdk;
}

/**
 * `init` as the SDK's README shows it, against `url`: the SDK takes its base URL from FS_API_HOST
 * when NODE_ENV is `test` or `development`, read when the client is built (lib/api/users/UsersApi.js).
 */
export function initAgainst(sdk: Sdk, url: string, apiKey: string): FullStoryClient {
  const saved = { NODE_ENV: process.env.NODE_ENV, FS_API_HOST: process.env.FS_API_HOST };
  process.env.NODE_ENV = "test";
  process.env.FS_API_HOST = url;
  try {
    return sdk.init({ apiKey, integrationSource: "fullstory-webhook-bridge" });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** The request the bridge sends for `m`: the same body (uid first, as the upsert schema orders it) and Idempotency-Key. */
export function sdkRequest(m: QueueMessage) {
  if (!m.upsert || m.uid === null) throw new Error("bench message without an upsert");
  const body = { uid: m.uid, ...m.upsert };
  return { body, idempotencyKey: idempotencyKey(m.source, m.event_id, m.uid, JSON.stringify(body)) };
}

/**
 * The deliver Lambda a team would write without the bridge, with the official SDK as its README
 * shows: the client made once per container with `init`, then for each SQS batch one
 * `users.create` per record, all at once with `Promise.all`. It does nothing else: no state, no
 * ordering within a user, no partial batch response (one failure hands the whole batch back).
 */
export function sdkDeliverHandler(client: FullStoryClient) {
  return async (event: SQSEvent): Promise<void> => {
    await Promise.all(event.Records.map((record) => client.users.create(sdkRequest(JSON.parse(record.body) as QueueMessage))));
  };
}
