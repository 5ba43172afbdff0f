import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { SOURCE_NAMES, loadConfig, type Config, type SourceName } from "../functions/config";
import { withDevSecrets } from "../local/dev-secrets";
import { SAMPLE_EVENT_TYPES, SAMPLE_UID, sampleEvent } from "./sample-events";
import {
  chargebeeAuthorization,
  lemonSqueezySignature,
  paddleSignatureHeader,
  polarWebhookHeaders,
  standardWebhookHeaders,
  stripeSignatureHeader,
  workosSignatureHeader,
} from "./sign";

/**
 * `npm run send -- <source> <event-type>`: builds one sample event, signs it with the secret the
 * local bridge verifies with (the `*_WEBHOOK_SECRET` setting, or the development secret when none is
 * set) and posts it to the bridge at HOST:PORT, then prints the answer.
 */

const SECRET_VARIABLE: Record<SourceName, string> = {
  stripe: "STRIPE_WEBHOOK_SECRET",
  clerk: "CLERK_WEBHOOK_SECRET",
  standard: "STANDARD_WEBHOOK_SECRET",
  paddle: "PADDLE_WEBHOOK_SECRET",
  chargebee: "CHARGEBEE_WEBHOOK_SECRET",
  lemonsqueezy: "LEMONSQUEEZY_WEBHOOK_SECRET",
  polar: "POLAR_WEBHOOK_SECRET",
  workos: "WORKOS_WEBHOOK_SECRET",
};

const USAGE = `Usage: npm run send -- <source> <event-type> [--uid <uid>] [--no-uid]

Posts one signed sample event to the local bridge (http://HOST:PORT/webhooks/<source>).
  --uid <uid>   the Fullstory uid the sample carries (default ${SAMPLE_UID})
  --no-uid      Stripe and Paddle only: a sample without metadata.fullstory_uid or custom_data.fullstory_uid
                (a uid_unresolved dead letter, unless the bridge has learned the customer's uid)

Event types:
${SOURCE_NAMES.map((s) => `  ${s.padEnd(9)} ${SAMPLE_EVENT_TYPES[s].join(", ")}`).join("\n")}`;

function usage(problem: string): never {
  process.stderr.write(`${problem}\n\n${USAGE}\n`);
  process.exit(2);
}

function fail(message: string): never {
  process.stderr.write(`send: ${message}\n`);
  process.exit(1);
}

/** The secret to sign with: the first configured value (any one verifies), else why there is none. */
function signingSecret(config: Config, source: SourceName): string {
  const local = withDevSecrets(config).config;
  const setting = local.secrets[source];
  if (!setting) fail(`no secret is configured for ${source}, so the bridge answers 404 for it: set ${SECRET_VARIABLE[source]}.`);
  if (setting.kind === "parameter") {
    fail(`${source}'s secret is in SSM parameter ${setting.name}: set ${SECRET_VARIABLE[source]} to sign locally.`);
  }
  const [first] = setting.values;
  if (!first) fail(`${SECRET_VARIABLE[source]} is empty.`);
  return first;
}

function signedHeaders(source: SourceName, type: string, payload: string, secret: string, now: number): Record<string, string> {
  if (source === "stripe") return { "stripe-signature": stripeSignatureHeader(payload, secret, now) };
  if (source === "paddle") return { "paddle-signature": paddleSignatureHeader(payload, secret, now) };
  if (source === "chargebee") return { authorization: chargebeeAuthorization(secret) };
  if (source === "lemonsqueezy") return { "x-event-name": type, "x-signature": lemonSqueezySignature(payload, secret) };
  if (source === "polar") return polarWebhookHeaders(payload, secret, randomUUID(), now);
  if (source === "workos") return { "workos-signature": workosSignatureHeader(payload, secret, now * 1000) };
  const id = `msg_${randomBytes(12).toString("hex")}`;
  return standardWebhookHeaders(payload, secret, id, now, source === "clerk" ? "svix" : "webhook");
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { uid: { type: "string" }, "no-uid": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [sourceArg, type, ...extra] = positionals;
  if (!sourceArg || !type || extra.length > 0) usage("Expected a source and an event type.");
  if (!(SOURCE_NAMES as readonly string[]).includes(sourceArg)) usage(`Unknown source "${sourceArg}".`);
  const source = sourceArg as SourceName;
  if (values["no-uid"] && ((source !== "stripe" && source !== "paddle") || values.uid)) usage("--no-uid applies to stripe and paddle samples only, without --uid.");

  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const now = Math.floor(Date.now() / 1000);
  const uid = values["no-uid"] ? undefined : (values.uid ?? SAMPLE_UID);
  const event = sampleEvent(source, type, { uid, now });
  if (!event) usage(`No ${source} sample of type "${type}".`);

  const payload = JSON.stringify(event);
  const secret = signingSecret(config, source);
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host === "::" ? "[::1]" : config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${config.port}/webhooks/${source}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...signedHeaders(source, type, payload, secret, now) },
      body: payload,
    });
  } catch {
    fail(`nothing answers at ${url}: is \`npm start\` running (with the same HOST and PORT)?`);
  }
  process.stdout.write(`POST ${url} (${source} ${type}, ${Buffer.byteLength(payload)} bytes)\n`);
  process.stdout.write(`HTTP ${response.status} ${await response.text()}\n`);
  if (!response.ok) process.exit(1);
}

void main();
