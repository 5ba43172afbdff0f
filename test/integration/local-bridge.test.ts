import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Stripe from "stripe";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { customerObject, stripeEvent, subscriptionObject } from "../support/stripe-events";

/**
 * `npm start` as a child process: the real entry point, the real SQLite queue on disk, the
 * Fullstory fake on loopback, events signed by the official stripe library.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// `node --import tsx`, not the tsx CLI: the CLI runs the script in a second process, which a
// SIGKILL to the CLI would leave running.
const NODE_TSX = [process.execPath, "--import", "tsx"] as const;
const tsx = (script: string, args: string[] = []) => [NODE_TSX[0], [...NODE_TSX.slice(1), script, ...args]] as const;
const KEY = "na1.local-bridge-test-key";
const SECRET = "whsec_local_bridge_test";
const stripe = new Stripe("sk_test_unused");
const run = promisify(execFile);

interface Bridge {
  child: ChildProcess;
  url: string;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

let dataDir: string;
let fake: FullstoryFake;
const bridges: Bridge[] = [];

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "bridge-local-"));
  fake = await startFullstoryFake({ keys: [KEY] });
});

afterEach(async () => {
  for (const b of bridges.splice(0)) {
    b.child.kill("SIGKILL");
    await b.exited;
  }
  await fake.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Only what the bridge needs, so nothing from the developer's own environment leaks in. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, BRIDGE_DATA_DIR: dataDir, BRIDGE_POLL_MS: "50", HOST: "127.0.0.1", ...extra };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startBridge(env: Record<string, string>): Promise<Bridge> {
  const port = String(await freePort());
  const child = spawn(...tsx("local/start.ts"), { cwd: root, env: environment({ PORT: port, ...env }) });
  const bridge: Bridge = {
    child,
    url: `http://127.0.0.1:${port}`,
    stdout: [],
    stderr: [],
    exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
  };
  const collect = (into: string[]) => {
    let partial = "";
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      into.push(...lines);
    };
  };
  child.stdout.on("data", collect(bridge.stdout));
  child.stderr.on("data", collect(bridge.stderr));
  bridges.push(bridge);
  // The banner's last line: by then every line before it (URL, sources, data) has been printed.
  await waitFor("the start banner", () => bridge.stderr.some((l) => l.includes("Stop with Ctrl-C")) || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`the bridge exited: ${bridge.stderr.join("\n")}`);
  expect(bridge.stderr.join("\n")).toContain(`listening   ${bridge.url}`);
  return bridge;
}

async function kill(bridge: Bridge): Promise<void> {
  bridge.child.kill("SIGKILL");
  await bridge.exited;
  bridges.splice(bridges.indexOf(bridge), 1);
}

function customerEvent(id: string, metadata: Record<string, string>, fields: Record<string, unknown> = {}) {
  return stripeEvent("customer.updated", customerObject({ metadata, ...fields }), { id });
}

async function post(bridge: Bridge, event: object): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = JSON.stringify(event);
  const res = await fetch(`${bridge.url}/webhooks/stripe`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }) },
    body: payload,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function dlq(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(...tsx("tools/dlq.ts", args), { cwd: root, env: environment(env) });
  return stdout;
}

const accepted = (r: { status: number }) => r.status >= 200 && r.status < 300;
const deliveredUpsert = (uid: string, displayName: string) =>
  fake.requests.some((r) => accepted(r) && r.body?.uid === uid && r.body.display_name === displayName);
const deliveredTo = { FULLSTORY_API_KEY: KEY, STRIPE_WEBHOOK_SECRET: SECRET };

describe("local bridge (npm start)", () => {
  it("delivers every accepted event once in effect across a Fullstory outage and a kill -9", async () => {
    let bridge = await startBridge({ ...deliveredTo, FULLSTORY_API_URL: fake.url });
    const events = [
      customerEvent("evt_local_1", { fullstory_uid: "user_a" }, { name: "Ada First" }),
      customerEvent("evt_local_2", { fullstory_uid: "user_b" }, { name: "Bob" }),
    ];
    for (const e of events) expect((await post(bridge, e)).status).toBe(202);
    await waitFor("the first two deliveries", () => fake.users.has("user_a") && fake.users.has("user_b"));

    fake.faults.push(...Array.from({ length: 1000 }, () => ({ status: 503 })));
    const during = [
      customerEvent("evt_local_3", { fullstory_uid: "user_a" }, { name: "Ada Middle", delinquent: false }),
      customerEvent("evt_local_4", { fullstory_uid: "user_b" }, { name: "Bob Later" }),
      customerEvent("evt_local_5", { fullstory_uid: "user_a" }, { name: "Ada Final", delinquent: true }),
    ];
    for (const e of during) expect((await post(bridge, e)).status).toBe(202);
    await waitFor("deliveries failing with 503", () => fake.requests.filter((r) => r.status === 503).length >= 2);
    await kill(bridge);

    fake.faults.length = 0;
    bridge = await startBridge({ ...deliveredTo, FULLSTORY_API_URL: fake.url });
    expect(bridge.stderr.join("\n")).toMatch(/resumed after a restart/);

    // Each event carries its own display name, so each one's accepted upsert can be told apart.
    const expected = [...events, ...during].map((e) => {
      const customer = (e.data as { object: { name: string; metadata: { fullstory_uid: string } } }).object;
      return { uid: customer.metadata.fullstory_uid, name: customer.name };
    });
    expect(new Set(expected.map((e) => e.name)).size).toBe(5);
    await waitFor("every accepted event delivered", () => expected.every((e) => deliveredUpsert(e.uid, e.name)));
    expect(fake.users.get("user_a")).toMatchObject({ display_name: "Ada Final", properties: { delinquent: true } });
    expect(fake.users.get("user_b")).toMatchObject({ display_name: "Bob Later" });
  });

  it("refuses a second bridge on the same data directory, with a clear message, until the first is gone (kill -9 included)", async () => {
    const first = await startBridge({ ...deliveredTo, FULLSTORY_API_URL: fake.url });
    await expect(startBridge({ ...deliveredTo, FULLSTORY_API_URL: fake.url })).rejects.toThrow(
      new RegExp(`in use by another running bridge \\(pid ${first.child.pid}\\): stop it, or give this one its own BRIDGE_DATA_DIR`),
    );
    const refused = bridges.at(-1) as Bridge;
    expect(await refused.exited).toBe(1);
    await kill(first);
    // The operating system dropped the lock with the process: the next start takes the directory.
    const next = await startBridge({ ...deliveredTo, FULLSTORY_API_URL: fake.url });
    expect((await post(next, customerEvent("evt_after_lock", { fullstory_uid: "user_lock" }))).status).toBe(202);
    await waitFor("the event delivered", () => fake.users.has("user_lock"));
  });

  it("lists a rejected upsert and an unresolved uid as dead letters, and redrive --renormalise delivers the unresolved one", async () => {
    const bridge = await startBridge({ ...deliveredTo, FULLSTORY_API_URL: fake.url });
    fake.faults.push({ status: 400 });
    expect((await post(bridge, customerEvent("evt_rejected", { fullstory_uid: "user_r" }))).status).toBe(202);
    // Another customer than the rejected one's, whose uid the identity directory has learned by now.
    const unresolved = await post(bridge, customerEvent("evt_unresolved", { crm_user: "user_u" }, { id: "cus_Unknown" }));
    // Queued under its customer: deliver finds no uid for it in the directory and parks it to wait there.
    expect(unresolved).toEqual({ status: 202, body: { status: "accepted", event_id: "evt_unresolved", upserts: 1 } });

    let letters: Array<Record<string, unknown>> = [];
    await waitFor("the rejected upsert to be parked", () => fake.requests.some((r) => r.status === 400));
    for (let i = 0; i < 100 && letters.length < 2; i++) {
      letters = JSON.parse(await dlq(["list", "--json"])) as Array<Record<string, unknown>>;
      if (letters.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(letters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event_id: "evt_rejected", source: "stripe", event_type: "customer.updated", uid: "user_r", reason: "rejected", status: 400 }),
        expect.objectContaining({ event_id: "evt_unresolved", source: "stripe", uid: null, reason: "uid_unresolved", attempts: 0 }),
      ]),
    );
    expect(letters).toHaveLength(2);

    const redriven = await dlq(["redrive", "--renormalise", "--event", "evt_unresolved"], { STRIPE_UID_METADATA_KEYS: "crm_user" });
    expect(redriven).toMatch(/1 redriven, 0 kept/);
    await waitFor("the redriven event delivered", () => fake.requests.some((r) => accepted(r) && r.body?.uid === "user_u"));
    expect(fake.users.get("user_u")?.properties).toMatchObject({ stripe_customer_id: "cus_Unknown" });
    const left = JSON.parse(await dlq(["list", "--json"])) as Array<Record<string, unknown>>;
    expect(left.map((l) => l.event_id)).toEqual(["evt_rejected"]);
  });

  it("runs dry without a Fullstory key: `npm run send` is accepted with the development secret, the upsert is printed, nothing is sent", async () => {
    const bridge = await startBridge({ FULLSTORY_API_URL: fake.url });
    const banner = bridge.stderr.join("\n");
    expect(banner).toMatch(/DRY RUN/);
    expect(banner).toMatch(/development secret from .*dev-secrets\.json/);
    expect(banner).toMatch(/stripe api +off: .*set STRIPE_API_KEY/);
    expect(banner).toMatch(/events +off: set FULLSTORY_EVENTS=true/);

    const port = new URL(bridge.url).port;
    const { stdout } = await run(...tsx("tools/send.ts", ["stripe", "customer.subscription.updated"]), { cwd: root, env: environment({ PORT: port }) });
    expect(stdout).toMatch(/HTTP 202 .*"upserts":1/);
    const line = await waitFor("the dry-run upsert on stdout", () => bridge.stdout.find((l) => l.includes('"dry_run":true')));
    expect(JSON.parse(line)).toMatchObject({ upsert: { uid: "user_ada", properties: { subscription_status: "active", plan: "pro_monthly" } } });
    const logged = await waitFor("the delivery's log line", () => bridge.stdout.find((l) => l.includes('"msg":"deliver"')));
    expect(JSON.parse(logged)).toMatchObject({ outcome: "delivered", fullstory_id: "dry-run" });
    expect(fake.requests).toHaveLength(0);
    expect(fake.connections).toBe(0);
  });

  it("runs dry with lifecycle events on: the banner says so, and the events are printed after the upsert, nothing is sent", async () => {
    const bridge = await startBridge({ FULLSTORY_API_URL: fake.url, FULLSTORY_EVENTS: "true", FULLSTORY_EVENT_NAMES: '{"Signed Up":"Account Created"}' });
    expect(bridge.stderr.join("\n")).toMatch(/events +on: lifecycle events sent after each upsert \(1 renamed, 0 switched off by FULLSTORY_EVENT_NAMES\)/);

    const port = new URL(bridge.url).port;
    const { stdout } = await run(...tsx("tools/send.ts", ["clerk", "user.created"]), { cwd: root, env: environment({ PORT: port }) });
    expect(stdout).toMatch(/HTTP 202 .*"upserts":1,"events":1/);
    const printed = await waitFor("the dry-run event on stdout", () => {
      const lines = bridge.stdout.filter((l) => l.includes('"dry_run":true')).map((l) => JSON.parse(l) as Record<string, unknown>);
      return lines.length >= 2 ? lines : undefined;
    });
    expect(printed[0]).toMatchObject({ url: `${fake.url}/v2/users`, upsert: { uid: "user_ada" } });
    expect(printed[1]).toMatchObject({ url: `${fake.url}/v2/events`, event: { name: "Account Created", user: { uid: "user_ada" }, properties: { signup_source: "clerk" } } });
    expect(fake.requests).toHaveLength(0);
  });

  it("answers GET /healthz?details with counts only, and npm run status shows the store, the counts since start and the key without printing it", async () => {
    const bridge = await startBridge({ ...deliveredTo, FULLSTORY_API_URL: fake.url });
    expect((await post(bridge, customerEvent("evt_status_1", { fullstory_uid: "user_status" }))).status).toBe(202);
    // A customer whose uid is not known yet: it waits for it.
    expect((await post(bridge, stripeEvent("customer.subscription.updated", { ...subscriptionObject({ customer: "cus_status_unknown", metadata: {} }) }, { id: "evt_status_2" }))).status).toBe(202);
    const forged = await fetch(`${bridge.url}/webhooks/stripe`, { method: "POST", headers: { "stripe-signature": "t=1,v1=00" }, body: "{}" });
    expect(forged.status).toBe(401);
    await waitFor("both events handled", () => bridge.stdout.filter((l) => l.includes('"msg":"deliver"')).length >= 2);

    const details = (await (await fetch(`${bridge.url}/healthz?details`)).json()) as Record<string, unknown>;
    expect(details).toMatchObject({
      status: "ok",
      queue: { depth: 0, oldest_age_seconds: null },
      dead_letters: {},
      waiting: { uid_unresolved: 1 },
      counts: { stripe: { webhooks_accepted: 2, webhooks_invalid_signature: 1, deliveries_delivered: 1, deliveries_dead_lettered: 1, dead_letters_uid_unresolved: 1, fullstory_responses_2xx: 1 } },
    });
    expect(JSON.stringify(details)).not.toMatch(/user_status|cus_status_unknown|evt_status/);
    expect(await (await fetch(`${bridge.url}/healthz`)).json()).toEqual({ status: "ok" });

    const env = environment({ ...deliveredTo, PORT: new URL(bridge.url).port });
    const { stdout } = await run(...tsx("tools/status.ts"), { cwd: root, env });
    expect(stdout).toContain("waiting       1: uid_unresolved 1");
    expect(stdout).toContain("since start   stripe: webhooks accepted 2, invalid_signature 1; deliveries delivered 1, dead_lettered 1");
    expect(stdout).toContain("fullstory key FULLSTORY_API_KEY, data center na1");
    expect(stdout).not.toContain(KEY);

    await kill(bridge);
    const { stdout: stopped } = await run(...tsx("tools/status.ts"), { cwd: root, env });
    expect(stopped).toMatch(/activity      no bridge answering at http:\/\/127\.0\.0\.1:\d+ \(start it with npm start\)/);
    expect(stopped).toContain("waiting       1: uid_unresolved 1");
  });

  it("stops at a configuration error with one line naming the variable and exit code 1", async () => {
    const child = spawn(...tsx("local/start.ts"), { cwd: root, env: environment({ PORT: "not-a-port" }) });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/PORT: must be a positive whole number/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
