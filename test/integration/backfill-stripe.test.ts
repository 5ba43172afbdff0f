import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openStateStore } from "../../local/state-store";
import { runCli, runInProcess, seedStripe, uidOf, workDir } from "../support/backfill";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { startStripeApiFake, type StripeApiFake } from "../support/stripe-api-fake";

/**
 * `npm run backfill -- stripe` against the Stripe API fake (through the official `stripe` client)
 * and the Fullstory fake's batch import, on loopback, in local mode.
 */

const KEY = "na1.backfill-key";
let fullstory: FullstoryFake;
let stripe: StripeApiFake;
let dir: string;

beforeAll(async () => {
  [fullstory, stripe] = await Promise.all([startFullstoryFake({ keys: [KEY] }), startStripeApiFake()]);
});
afterAll(() => Promise.all([fullstory.stop(), stripe.stop()]));
beforeEach(() => {
  dir = workDir();
  stripe.customers.clear();
  stripe.subscriptions.clear();
  stripe.invoices.clear();
  stripe.requests.length = 0;
  stripe.faults.length = 0;
  fullstory.users.clear();
  fullstory.batch.jobs.clear();
  fullstory.batch.faults.length = 0;
  fullstory.batch.pollsToFinish = 2;
  fullstory.batch.errorsPageSize = 100;
  delete fullstory.batch.reject;
});

const env = () => ({
  FULLSTORY_API_KEY: KEY,
  FULLSTORY_API_URL: fullstory.url,
  STRIPE_API_KEY: stripe.apiKey,
  STRIPE_API_URL: stripe.url,
  BRIDGE_DATA_DIR: path.join(dir, "data"),
});
const checkpoint = () => path.join(dir, "checkpoint.json");
/** How many times each uid was imported, over every job. */
const importsByUid = () => {
  const counts = new Map<string, number>();
  for (const job of fullstory.batch.jobs.values()) for (const user of job.imported) counts.set(String(user.uid), (counts.get(String(user.uid)) ?? 0) + 1);
  return counts;
};
const customerPages = () => stripe.requests.filter((r) => r.path === "/v1/customers").length;

describe("npm run backfill -- stripe", () => {
  it("imports 2 500 customers read over 25 pages in 5 jobs, learns each customer's uid, and lists those without one", async () => {
    seedStripe(stripe, 2_500, { withoutUidEvery: 50 });
    const { code, stdout, stderr } = await runInProcess(["stripe", "--job-size", "500", "--checkpoint", checkpoint()], env());
    expect(stderr).not.toContain("FAILED");
    expect(code).toBe(0);

    expect(customerPages()).toBe(25);
    const jobs = [...fullstory.batch.jobs.values()];
    expect(jobs.map((j) => j.requests.length).sort((a, b) => b - a)).toEqual([500, 500, 500, 500, 450]);
    expect(jobs.every((j) => j.status === "COMPLETED" && j.polls >= 2)).toBe(true);
    const imports = importsByUid();
    expect(imports.size).toBe(2_450);
    expect([...imports.values()].every((n) => n === 1)).toBe(true);
    expect(fullstory.users.get(uidOf(1))).toMatchObject({
      email: "c1@example.com",
      display_name: "Customer 1",
      properties: { billing_provider: "stripe", stripe_customer_id: "cus_000001", subscription_status: "active", mrr: 20, last_payment_amount: 20 },
    });

    expect(stdout).toContain("read        2,500 customers");
    expect(stdout).toMatch(/sent\s+2,450 users in 5 job\(s\)/);
    expect(stdout).toMatch(/imported\s+2,450/);
    expect(stdout).toMatch(/unresolved\s+50 \(no fullstory_uid or user_id in the Customer's metadata/);
    // Listed newest first, as Stripe lists them; the rest are in the checkpoint.
    expect(stdout).toContain(`cus_002500, cus_002450, cus_002400`);
    expect(stdout).toContain(`and 30 more (all in ${checkpoint()})`);
    expect(stdout).toMatch(/learned\s+2,450 identities/);

    const state = openStateStore({ dir: path.join(dir, "data") });
    const { uids } = await state.read({ subjects: [{ source: "stripe", subject: "cus_000001" }, { source: "stripe", subject: "cus_000050" }], orders: [] });
    state.close();
    expect([...uids.values()]).toEqual([uidOf(1)]);
    // Finished jobs leave no users' file behind.
    expect(existsSync(`${checkpoint().replace(/\.json$/, "")}.job-1.json`)).toBe(false);
    expect(JSON.parse(readFileSync(checkpoint(), "utf8"))).toMatchObject({ read_all: true, totals: { read: 2_500 } });
  });

  it("runs as the real command: progress lines on stderr, the summary on stdout, exit status 0", async () => {
    seedStripe(stripe, 300, { withoutUidEvery: 100 });
    fullstory.batch.pollsToFinish = 1;
    const { code, stdout, stderr } = await runCli(["stripe", "--job-size", "200", "--checkpoint", checkpoint()], env());
    expect(stderr).toContain("Backfill of stripe (local): to");
    expect(stderr).toMatch(/job 1: 200 users sent \(Fullstory job job_\d+\)/);
    expect(stderr).toMatch(/300 customers read \(\d+\/s\) · 297 sent · 297 imported · 0 rejected · 3 unresolved/);
    expect(code).toBe(0);
    expect(stdout).toContain("Backfill of stripe (local): complete");
    expect(importsByUid().size).toBe(297);
  });

  it("reports a job that fails partially: what was imported, and each rejection with Fullstory's code and message", async () => {
    seedStripe(stripe, 40);
    const refused = new Set([uidOf(3), uidOf(17), uidOf(33)]);
    fullstory.batch.reject = (user) => (refused.has(String(user.uid)) ? { code: "invalid_argument", message: "uid is on a blocklist" } : undefined);
    fullstory.batch.errorsPageSize = 1;
    const { code, stdout } = await runInProcess(["stripe", "--job-size", "25", "--checkpoint", checkpoint(), "--json"], env());
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect([...fullstory.batch.jobs.values()].map((j) => j.status)).toEqual(["FAILED", "FAILED"]);
    expect(summary).toMatchObject({ outcome: "complete", read: 40, sent: 40, imported: 37, rejected: 3 });
    // Every rejection was fetched, over several pages of /errors.
    expect(summary.rejections).toEqual([{ code: "invalid_argument", message: "uid is on a blocklist", users: 3, uids: [uidOf(33), uidOf(17), uidOf(3)] }]);
    expect(fullstory.users.has(uidOf(3))).toBe(false);
  });

  it("waits out Stripe's 429s and Fullstory's 429 with its Retry-After, then finishes", async () => {
    seedStripe(stripe, 30);
    stripe.faults.push({ status: 429 }, { status: 429 }, { status: 503 });
    fullstory.batch.faults.push({ status: 429, retryAfterSeconds: 1 });
    const { code, stderr } = await runInProcess(["stripe", "--checkpoint", checkpoint()], env());
    expect(code).toBe(0);
    expect(stderr).toMatch(/Stripe customers: Stripe could not answer right now \(429\): waiting \d/);
    expect(stderr).toMatch(/Fullstory POST \/v2\/users\/batch: Fullstory rate limit: waiting (1\.\d|2\.\d)/);
    expect(importsByUid().size).toBe(30);
  });

  it("waits when Fullstory answers that too many jobs are in progress, and never holds more than it allows", async () => {
    seedStripe(stripe, 300);
    // A job takes its four polls, 100, 200, 400 and 800 ms apart: the next one is ready well before.
    fullstory.batch.pollsToFinish = 4;
    fullstory.batch.limits.inProgress = 1;
    try {
      const { code, stderr } = await runInProcess(["stripe", "--job-size", "100", "--checkpoint", checkpoint()], env(), { firstPollMs: 100 });
      expect(code).toBe(0);
      expect(stderr).toMatch(/Fullstory POST \/v2\/users\/batch: Fullstory rate limit: waiting/);
    } finally {
      fullstory.batch.limits.inProgress = 200;
    }
    const jobs = [...fullstory.batch.jobs.values()];
    expect(jobs).toHaveLength(3);
    // Fullstory never held more than one job in progress (its 429 made the command wait).
    for (const job of jobs) {
      const at = Date.parse(job.created);
      expect(jobs.filter((j) => Date.parse(j.created) < at && Date.parse(j.finished ?? "9999") > at)).toEqual([]);
    }
    expect(importsByUid().size).toBe(300);
  });

  it("keeps at most two jobs in progress: reading waits while two are unfinished", async () => {
    seedStripe(stripe, 1_000);
    fullstory.batch.pollsToFinish = 1_000;
    const stop = new AbortController();
    // Stopped once a third job is sealed and job 1 was then polled twice more without finishing (its
    // polls doubling from 1 ms, that is as long again as it took to read three pages): time enough
    // to read on, were reading not held.
    let pollsAtThird: number | undefined;
    const watch = setInterval(() => {
      const polls = fullstory.batch.jobs.get([...fullstory.batch.jobs.keys()][0] ?? "")?.polls ?? 0;
      if (pollsAtThird === undefined && existsSync(checkpoint()) && JSON.parse(readFileSync(checkpoint(), "utf8")).jobs.length >= 3) pollsAtThird = polls;
      if (pollsAtThird !== undefined && polls >= pollsAtThird + 2) stop.abort();
    }, 10);
    const { code } = await runInProcess(["stripe", "--job-size", "100", "--checkpoint", checkpoint()], env(), { stop, firstPollMs: 1 }).finally(() => clearInterval(watch));
    expect(code).toBe(130);
    expect(fullstory.batch.jobs.size).toBe(2);
    // The third page made a third job, which waited for a place; no fourth page was read.
    expect(customerPages()).toBe(3);
    expect(JSON.parse(readFileSync(checkpoint(), "utf8")).jobs.map((j: { state: string }) => j.state)).toEqual(["created", "created", "sealed"]);
  });

  it("points at `npm run dlq -- redrive` for letters that waited for a uid the backfill taught the directory", async () => {
    seedStripe(stripe, 3);
    const state = openStateStore({ dir: path.join(dir, "data") });
    const failure = { reason: "uid_unresolved" as const, attempts: 0, first_failed_at: "2024-02-01T00:00:00.000Z" };
    await state.park({ source: "stripe", subject: "cus_000002", body: "{}", groupId: "g", deduplicationId: "d", failure });
    await state.park({ source: "stripe", subject: "cus_unknown", body: "{}", groupId: "g2", deduplicationId: "d2", failure });
    state.close();
    const { code, stdout } = await runInProcess(["stripe", "--checkpoint", checkpoint()], env());
    expect(code).toBe(0);
    expect(stdout).toMatch(/waiting\s+1 letter\(s\) wait for a uid now known: `npm run dlq -- redrive` sends them on/);
  });

  it("--dry-run prints each upsert it would send, and sends, learns and keeps nothing", async () => {
    seedStripe(stripe, 5, { withoutUidEvery: 5 });
    const { code, stdout } = await runInProcess(["stripe", "--dry-run"], { ...env(), FULLSTORY_API_KEY: "" });
    expect(code).toBe(0);
    const lines = stdout.split("\n").filter((l) => l.startsWith("{"));
    expect(lines.map((l) => JSON.parse(l).uid)).toEqual([uidOf(4), uidOf(3), uidOf(2), uidOf(1)]);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ uid: uidOf(4), email: "c4@example.com", properties: { plan: "pro_monthly" }, schema: { properties: { mrr: "real" } } });
    expect(stdout).toMatch(/would send\s+4 users in 1 job\(s\); nothing was sent/);
    expect(fullstory.batch.jobs.size).toBe(0);
    expect(existsSync(path.join(dir, "data"))).toBe(false);
    expect(existsSync(path.join(process.cwd(), ".backfill"))).toBe(false);
  });

  it("--since takes only customers created since the date, and --limit stops after n", async () => {
    seedStripe(stripe, 10);
    const since = new Date((1_704_067_200 + 6) * 1000).toISOString();
    const { code } = await runInProcess(["stripe", "--since", since, "--checkpoint", checkpoint()], env());
    expect(code).toBe(0);
    expect([...importsByUid().keys()].sort()).toEqual([6, 7, 8, 9, 10].map(uidOf).sort());
    expect(stripe.requests.find((r) => r.path === "/v1/customers")?.query.get("created[gte]")).toBe(String(1_704_067_200 + 6));

    fullstory.batch.jobs.clear();
    const limited = await runInProcess(["stripe", "--limit", "3", "--checkpoint", path.join(dir, "limited.json")], env());
    expect(limited.code).toBe(0);
    expect([...importsByUid().keys()]).toEqual([10, 9, 8].map(uidOf));
  });

  it("refuses to start without a Stripe key or a Fullstory key, naming the variable to set, or with a key of another data center", async () => {
    const noStripe = await runInProcess(["stripe"], { ...env(), STRIPE_API_KEY: "" }).catch((err: Error) => err);
    expect(String(noStripe)).toMatch(/set STRIPE_API_KEY, or STRIPE_API_KEY_PARAMETER/);
    const noFullstory = await runInProcess(["stripe"], { ...env(), FULLSTORY_API_KEY: "" }).catch((err: Error) => err);
    expect(String(noFullstory)).toMatch(/Set FULLSTORY_API_KEY \(or FULLSTORY_API_KEY_PARAMETER\) to send, or add --dry-run/);
    const otherRegion = await runInProcess(["stripe"], { ...env(), FULLSTORY_REGION: "eu1" }).catch((err: Error) => err);
    expect(String(otherRegion)).toContain("The Fullstory API key belongs to data center na1, but this stage is pinned to eu1 (FULLSTORY_REGION).");
    expect(stripe.requests).toEqual([]);
  });

  it("answers usage mistakes with exit status 2 and the usage", async () => {
    for (const args of [["paddle"], ["stripe", "--job-size", "60000"], ["stripe", "--since", "last week"], ["stripe", "--limit", "0"], []]) {
      const { code, stderr } = await runCli(args, env());
      expect(code, args.join(" ")).toBe(2);
      expect(stderr).toContain("Usage: npm run backfill -- <stripe|clerk> [options]");
    }
    const help = await runCli(["--help"], env());
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--job-size <n>");
  });
});
