import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../tools/backfill/cli";
import type { ClerkApiFake } from "./clerk-api-fake";
import { clerkEmailAddress, clerkUser } from "./clerk-events";
import type { StripeApiFake } from "./stripe-api-fake";
import { OBJECT_CREATED, customerObject, invoiceObject, subscriptionObject } from "./stripe-events";

/**
 * Helpers for the backfill's tests: accounts seeded into the Stripe and Clerk fakes from the
 * project's factories of their documented objects, and the command run as a child process (the
 * real CLI, through tsx) or in-process (where a test interrupts it).
 */

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface SeedOptions {
  /** The first customer's number; ids and uids are numbered from it. */
  first?: number;
  /** Every n-th customer has no uid anywhere. */
  withoutUidEvery?: number;
}

/** The uid of seeded customer or user `i`. */
export const uidOf = (i: number) => `user_${i}`;

/**
 * Seeds `count` Stripe customers, each with its uid in the Customer's metadata (but every
 * `withoutUidEvery`-th), an active monthly subscription and a paid invoice; customer `i` is created
 * `i` seconds after OBJECT_CREATED. Resolves with their ids, in creation order.
 */
export function seedStripe(api: StripeApiFake, count: number, { first = 1, withoutUidEvery }: SeedOptions = {}): string[] {
  const ids: string[] = [];
  for (let i = first; i < first + count; i++) {
    const id = `cus_${String(i).padStart(6, "0")}`;
    const named = withoutUidEvery === undefined || i % withoutUidEvery !== 0;
    const metadata = named ? { fullstory_uid: uidOf(i) } : {};
    api.customers.set(id, customerObject({ id, created: OBJECT_CREATED + i, email: `c${i}@example.com`, name: `Customer ${i}`, metadata }));
    api.subscriptions.set(`sub_${i}`, subscriptionObject({ id: `sub_${i}`, customer: id, created: OBJECT_CREATED + i, metadata: {} }));
    api.invoices.set(`in_${i}`, invoiceObject({ id: `in_${i}`, customer: id, customer_email: `c${i}@example.com`, customer_name: `Customer ${i}`, created: OBJECT_CREATED + i }));
    ids.push(id);
  }
  return ids;
}

/** Seeds `count` Clerk users created one second apart (every `withoutUidEvery`-th without an external_id). */
export function seedClerk(clerk: ClerkApiFake, count: number, { first = 1, withoutUidEvery }: SeedOptions = {}): string[] {
  const ids: string[] = [];
  for (let i = first; i < first + count; i++) {
    const id = `user_clerk_${String(i).padStart(6, "0")}`;
    const named = withoutUidEvery === undefined || i % withoutUidEvery !== 0;
    clerk.users.push(
      clerkUser({
        id,
        external_id: named ? uidOf(i) : null,
        first_name: "User",
        last_name: String(i),
        primary_email_address_id: `idn_${i}`,
        email_addresses: [clerkEmailAddress(`idn_${i}`, `u${i}@example.com`)],
        created_at: 1_718_000_000_000 + i * 1000,
        last_sign_in_at: 1_718_100_000_000 + i * 1000,
      }),
    );
    ids.push(id);
  }
  return ids;
}

/** A fresh working directory for one run (its checkpoint and local data directory). */
export function workDir(): string {
  return mkdtempSync(path.join(tmpdir(), "backfill-"));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const command = (args: string[]) => [
  "--import",
  `file://${path.join(projectRoot, "node_modules", "tsx", "dist", "loader.mjs")}`,
  path.join(projectRoot, "tools", "backfill.ts"),
  ...args,
];
const childEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env });

/** Runs `npm run backfill -- <args>` as `npm run` does (tsx), with exactly `env` plus PATH. */
export function runCli(args: string[], env: Record<string, string>, { cwd = projectRoot, timeoutMs = 60_000 } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, command(args), { cwd, env: childEnv(env), timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * Starts the command as a child process a test can signal: `onStderr` sees its progress as it
 * comes; `done` resolves with its exit status (or the signal that ended it) and output.
 */
export function spawnCli(args: string[], env: Record<string, string>, onStderr: (text: string, child: ChildProcess) => void): { child: ChildProcess; done: Promise<CliResult & { signal: string | null }> } {
  const child = spawn(process.execPath, command(args), { cwd: projectRoot, env: childEnv(env) });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr(stderr, child);
  });
  const done = new Promise<CliResult & { signal: string | null }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the command's main function in this process: `stop` interrupts it as Ctrl-C would. */
export async function runInProcess(
  args: string[],
  env: Record<string, string>,
  { stop = new AbortController(), firstPollMs = 20, onStderr }: { stop?: AbortController; firstPollMs?: number; onStderr?: (text: string) => void } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    env,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
      onStderr?.(text);
    },
    tty: false,
    stop,
    firstPollMs,
  });
  return { code, stdout, stderr };
}
