import { createDeadLetterAlarm } from "./alarm";
import { createApi } from "./api";
import { createMonitoring } from "./monitoring";
import { createQueues } from "./queue";
import type { StageSettings } from "./settings";
import { createStateTable } from "./state";

/**
 * Declares the whole bridge for one stage and returns what `sst deploy` prints and writes to
 * `.sst/outputs.json`: the stage, the API's base URL, one webhook URL per enabled source (the
 * address to give Stripe, Clerk or your backend), and the queues' URLs and names (`npm run dlq --
 * <verb> --stage <stage>` reads the URLs from that file, and checks `stage` against its own), and
 * the state table's name (where letters waiting for a uid are kept), and the dashboard's name.
 */
export function bridge(settings: StageSettings) {
  const state = createStateTable(settings);
  const { queue, deadLetter, deliver } = createQueues(settings, state);
  const { api, ingest } = createApi(settings, { queue, deadLetter });
  createDeadLetterAlarm(settings, deadLetter);
  const dashboard = createMonitoring(settings, { queue, deadLetter, ingest, deliver });
  const webhookUrls = Object.fromEntries(
    settings.sources.map((source) => [`${source}WebhookUrl`, $interpolate`${api.url}/webhooks/${source}`]),
  );
  return {
    stage: settings.stage,
    url: api.url,
    ...webhookUrls,
    queueUrl: queue.url,
    queueName: queue.nodes.queue.name,
    deadLetterQueueUrl: deadLetter.url,
    deadLetterQueueName: deadLetter.nodes.queue.name,
    stateTableName: state.name,
    dashboardName: dashboard.dashboardName,
  };
}
