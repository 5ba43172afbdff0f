import path from "node:path";
import { SOURCE_NAMES, loadConfig, type Config } from "../functions/config";
import { apiKeyGetter, releaseWaitingForStripeKey, type DeliverDeps } from "../functions/deliver-core";
import { stripeRefresherFactory } from "../functions/sources/stripe/api-mode";
import { mkdirSync } from "node:fs";
import { createFullstoryClient } from "../functions/fullstory/client";
import { keyRegion } from "../functions/fullstory/region";
import { createIngestHandler } from "../functions/ingest";
import { createLogger } from "../functions/log";
import { createCounters, METRIC } from "../functions/metrics";
import { createParameterStore } from "../functions/parameters";
import { createSecretsReader } from "../functions/secrets";
import { withDevSecrets } from "./dev-secrets";
import { createDryRunClient, startDeliveryLoop } from "./delivery-loop";
import { DataDirInUseError, lockDataDir } from "./data-dir-lock";
import { createLocalServer, listen } from "./http";
import { openLocalDatabase, openQueueStore } from "./queue-store";
import { openStateStore } from "./state-store";
import { localDetails } from "./status";

/**
 * `npm start`: the bridge on one machine. The deployed ingest handler behind a local HTTP server,
 * the deployed deliver core in a loop, and an embedded durable queue instead of SQS. Human-readable
 * lines (the banner, fatal errors) go to stderr; stdout carries the JSON log lines and, in a dry
 * run, the upserts that would have been sent.
 */

const say = (line = "") => process.stderr.write(`${line}\n`);

/** A setting or the machine is not right: one clear line naming what to fix, no stack trace. */
function fatal(message: string): never {
  say(`fullstory-webhook-bridge: ${message}`);
  process.exit(1);
}

const SECRET_VARIABLE: Record<string, string> = {
  stripe: "STRIPE_WEBHOOK_SECRET",
  clerk: "CLERK_WEBHOOK_SECRET",
  standard: "STANDARD_WEBHOOK_SECRET",
  paddle: "PADDLE_WEBHOOK_SECRET",
  chargebee: "CHARGEBEE_WEBHOOK_SECRET",
  lemonsqueezy: "LEMONSQUEEZY_WEBHOOK_SECRET",
  polar: "POLAR_WEBHOOK_SECRET",
  workos: "WORKOS_WEBHOOK_SECRET",
};

/** The Fullstory side: the real client when a key is configured, else a dry run that prints instead of sending. */
function fullstoryTarget(config: Config): Pick<DeliverDeps, "fullstory" | "getApiKey"> & { banner: string } {
  const { apiKey, apiKeyParameter, apiUrl, region } = config.fullstory;
  if (apiKey || apiKeyParameter) {
    const where = apiKey ? `data center ${keyRegion(apiKey)} (from the key's prefix)` : `key from SSM parameter ${apiKeyParameter}`;
    const pinned = region ? `, pinned to ${region}` : "";
    return {
      fullstory: createFullstoryClient(),
      getApiKey: apiKeyGetter(config, createParameterStore({ ttlMs: config.parameterTtlMs })),
      banner: `${apiUrl}, ${where}${pinned}`,
    };
  }
  // A placeholder key in the pinned data center, so the region guard lets the dry run through.
  const placeholder = `${region ?? "na1"}.dry-run`;
  return {
    fullstory: createDryRunClient(),
    getApiKey: async () => placeholder,
    banner: "DRY RUN: no FULLSTORY_API_KEY or FULLSTORY_API_KEY_PARAMETER is set; each upsert is printed on stdout, nothing is sent",
  };
}

/** Whether Stripe events are written as their snapshots or as Stripe holds the objects now (docs/sources/stripe.md#api-mode). */
function stripeApiLine(config: Config): string {
  const api = config.stripeApi;
  if (!api) return "off: events are written as they arrived; set STRIPE_API_KEY (a restricted read-only key) to read each object from Stripe";
  const from = api.key.kind === "parameter" ? `SSM parameter ${api.key.name}` : "STRIPE_API_KEY";
  return `on: each object read from ${api.url} with the key from ${from}`;
}

/** Whether lifecycle events are sent (docs/events.md), and how many the settings rename or leave out. */
function eventsLine(config: Config): string {
  if (!config.events.enabled) return "off: set FULLSTORY_EVENTS=true to send lifecycle events too (POST /v2/events, counted against the plan's server-event quota)";
  const names = Object.entries(config.events.names);
  const off = names.filter(([, to]) => to === false).length;
  const renamed = names.filter(([from, to]) => to !== false && to !== from).length;
  return `on: lifecycle events sent after each upsert${off || renamed ? ` (${renamed} renamed, ${off} switched off by FULLSTORY_EVENT_NAMES)` : ""}`;
}

async function main(): Promise<void> {
  let config: Config;
  let devSecretsFile: string | undefined;
  try {
    ({ config, devSecretsFile } = withDevSecrets(loadConfig()));
  } catch (err) {
    fatal(err instanceof Error ? err.message : String(err));
  }
  let lock;
  try {
    mkdirSync(config.dataDir, { recursive: true });
    lock = lockDataDir(config.dataDir);
  } catch (err) {
    fatal(err instanceof DataDirInUseError ? err.message : `cannot use ${path.resolve(config.dataDir)} (BRIDGE_DATA_DIR): ${err instanceof Error ? err.message : String(err)}`);
  }
  let store;
  let state;
  try {
    const db = openLocalDatabase(config.dataDir);
    store = openQueueStore({ dir: config.dataDir, db });
    state = openStateStore({ dir: config.dataDir, db });
  } catch (err) {
    fatal(`cannot open the local queue in ${path.resolve(config.dataDir)} (BRIDGE_DATA_DIR): ${err instanceof Error ? err.message : String(err)}`);
  }
  const released = store.releaseLeases();

  const log = createLogger();
  const parameters = createParameterStore({ ttlMs: config.parameterTtlMs });
  const metrics = createCounters();
  const startedAt = Date.now();
  const ingestDeps = { config, queue: store, secrets: createSecretsReader(config, parameters), log, metrics };
  const details = () => localDetails(store, state, metrics.snapshot, startedAt);
  const server = createLocalServer({ handler: createIngestHandler(() => ingestDeps), maxBodyBytes: config.maxBodyBytes, log, details });
  let address;
  try {
    address = await listen(server, config.host, config.port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fatal(code === "EADDRINUSE" ? `port ${config.port} on ${config.host} is in use: set PORT to another port.` : `cannot listen on ${config.host}:${config.port} (HOST, PORT): ${String(err)}`);
  }
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const base = `http://${host}:${address.port}`;

  const target = fullstoryTarget(config);
  const { banner, ...fullstory } = target;
  const stripe = stripeRefresherFactory(config, parameters, undefined, () => metrics.count("stripe", METRIC.stripeApiCalls));
  const deps = { config, logger: log, metrics, state, ...(stripe ? { refreshers: { stripe } } : {}), ...fullstory };
  // Thin events that waited for a Stripe key go back on the queue once there is one.
  await releaseWaitingForStripeKey({ ...deps, queue: store, remainingMs: () => 30_000 }).catch(() => 0);
  const loop = startDeliveryLoop({ store, deps, pollMs: config.pollMs, log });

  say("Fullstory webhook bridge, local mode");
  say(`  listening   ${base}   (GET ${base}/healthz, counts: ${base}/healthz?details or npm run status)`);
  for (const name of SOURCE_NAMES) {
    const setting = config.secrets[name];
    const origin = !setting
      ? `not configured: answers 404; set ${SECRET_VARIABLE[name]} to enable`
      : devSecretsFile
        ? `development secret from ${devSecretsFile}`
        : setting.kind === "parameter"
          ? `secret from SSM parameter ${setting.name}`
          : `secret from ${SECRET_VARIABLE[name]}`;
    say(`  ${name.padEnd(10)}  ${`${base}/webhooks/${name}`.padEnd(base.length + 20)} ${origin}`);
  }
  say(`  fullstory   ${banner}`);
  say(`  stripe api  ${stripeApiLine(config)}`);
  say(`  events      ${eventsLine(config)}`);
  const dead = store.listDeadLetters().length;
  say(`  data        ${path.resolve(config.dataDir)}   ${store.depth()} queued, ${dead} dead letter(s)${released ? `, ${released} resumed after a restart` : ""}`);
  say("  Stop with Ctrl-C. Try: npm run send -- stripe customer.subscription.updated");

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) process.exit(130); // A second Ctrl-C: leave now; unsettled messages resume at the next start.
    stopping = true;
    say(`${signal}: stopping (finishing the current batch)...`);
    server.close();
    server.closeAllConnections();
    void loop.stop().then(() => {
      store.close();
      lock.release();
      process.exit(0);
    });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

void main();
