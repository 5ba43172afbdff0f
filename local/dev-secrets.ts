import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as z from "zod";
import { SOURCE_NAMES, type Config, type SourceName } from "../functions/config";
import { BridgeError, ErrorCode } from "../functions/errors";

/**
 * Local development secrets, so a fresh clone works in two commands (`npm start`, `npm run send`)
 * without inventing secrets first. They are used only when no source has a secret configured at
 * all: as soon as one `*_WEBHOOK_SECRET` (or `_PARAMETER`) is set, the environment alone decides,
 * and a source without a secret answers 404 as on a deployed stage. Generated once, kept in the
 * data directory (owner-only), and shared by the bridge and the send tool, which sign and verify
 * with the same file.
 */
export const DEV_SECRETS_FILE = "dev-secrets.json";

/**
 * How each source's development secret is made, in the format its senders use: Stripe's endpoint
 * secrets are `whsec_` and an opaque string, used as the HMAC key verbatim; Standard Webhooks'
 * (Clerk, the team's own backend) are `whsec_<base64 key>`. Lemon Squeezy's is whatever the store
 * owner typed (6 to 40 characters); Polar generates `whsec_<base64 of 32 bytes>` since 2026-09-08;
 * WorkOS's is an opaque string, used as the key verbatim.
 */
const DEV_SECRET: Readonly<Record<SourceName, () => string>> = {
  stripe: () => `whsec_${randomBytes(24).toString("hex")}`,
  clerk: () => `whsec_${randomBytes(24).toString("base64")}`,
  standard: () => `whsec_${randomBytes(24).toString("base64")}`,
  paddle: () => `pdl_ntfset_01${randomBytes(16).toString("hex").slice(0, 24)}_${randomBytes(24).toString("base64url")}`,
  chargebee: () => `bridge:${randomBytes(24).toString("hex")}`,
  lemonsqueezy: () => randomBytes(24).toString("base64url"),
  polar: () => `whsec_${randomBytes(32).toString("base64")}`,
  workos: () => randomBytes(24).toString("base64url"),
};

const DevSecretsSchema = z.record(z.string(), z.string().min(1));
type DevSecrets = Record<SourceName, string>;

const generate = (have: Partial<DevSecrets> = {}): DevSecrets =>
  Object.fromEntries(SOURCE_NAMES.map((name) => [name, have[name] ?? DEV_SECRET[name]()])) as DevSecrets;

/**
 * Reads the data directory's development secrets, creating the file on first use (`wx`: two
 * processes racing agree on one file). A file made before a source existed gains that source's
 * secret; the others are kept.
 */
function loadOrCreate(file: string): DevSecrets {
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, `${JSON.stringify(generate(), null, 2)}\n`, { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const parsed = DevSecretsSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    throw new BridgeError(ErrorCode.ConfigInvalid, `${file} is not a development secrets file: delete it and it is generated again.`);
  }
  const have = parsed.data as Partial<DevSecrets>;
  if (SOURCE_NAMES.every((name) => have[name])) return have as DevSecrets;
  const completed = generate(have);
  writeFileSync(file, `${JSON.stringify(completed, null, 2)}\n`, { mode: 0o600 });
  return completed;
}

/** Where each source's secret came from, for the start banner and the send tool's messages. */
export interface LocalSecrets {
  config: Config;
  /** The development secrets file, when its secrets are in use. */
  devSecretsFile?: string;
}

/**
 * `config` itself when any source has a secret configured; otherwise `config` with every source
 * given its development secret from `<dataDir>/dev-secrets.json` (created on first use).
 */
export function withDevSecrets(config: Config): LocalSecrets {
  if (Object.keys(config.secrets).length > 0) return { config };
  const file = path.join(config.dataDir, DEV_SECRETS_FILE);
  const dev = loadOrCreate(file);
  const secrets: Config["secrets"] = {};
  for (const name of SOURCE_NAMES) secrets[name as SourceName] = { kind: "values", values: [dev[name]] };
  return { config: { ...config, secrets }, devSecretsFile: file };
}
