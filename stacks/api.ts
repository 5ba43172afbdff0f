import { readParameters } from "./iam";
import { ingestEnvironment, type StageSettings } from "./settings";

/**
 * The HTTP API and the ingest function behind both of its routes. Ingest may only send to the two
 * queues (the dead-letter queue takes events whose uid cannot be resolved) and read the signing
 * secrets of the sources this stage serves.
 */
export function createApi(settings: StageSettings, queues: { queue: sst.aws.Queue; deadLetter: sst.aws.Queue }) {
  const ingest = new sst.aws.Function("Ingest", {
    handler: "functions/ingest.handler",
    runtime: "nodejs22.x",
    architecture: "arm64",
    memory: `${settings.memoryMb} MB`,
    timeout: `${settings.ingestTimeoutSeconds} seconds`,
    environment: {
      ...ingestEnvironment(settings),
      BRIDGE_QUEUE_URL: queues.queue.url,
      BRIDGE_DEAD_LETTER_QUEUE_URL: queues.deadLetter.url,
    },
    permissions: [
      { actions: ["sqs:SendMessage"], resources: [queues.queue.arn, queues.deadLetter.arn] },
      ...readParameters(
        settings.parameters.secrets.map((s) => s.name),
        settings,
      ),
    ],
  });
  // Webhooks come from servers, not browsers: no CORS (SST enables it by default).
  const api = new sst.aws.ApiGatewayV2("Api", { cors: false });
  // Both routes share the one function, given by ARN (a handler string would create one per route).
  api.route("POST /webhooks/{source}", ingest.arn);
  api.route("GET /healthz", ingest.arn);
  return { api, ingest };
}
