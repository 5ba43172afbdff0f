import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli, runInProcess, seedStripe, spawnCli, workDir } from "../support/backfill";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { startStripeApiFake, type StripeApiFake } from "../support/stripe-api-fake";

/**
 * Interrupted backfills, resumed from their checkpoint: Ctrl-C (a real SIGINT to the real command)
 * while jobs are in progress, and `kill -9` while Fullstory is creating a job whose answer never
 * arrives. Nothing may be imported twice, and no account may be skipped.
 */

const KEY = "na1.backfill-resume-key";
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
  fullstory.batch.jobs.clear();
  fullstory.batch.faults.length = 0;
  fullstory.batch.pollsToFinish = 2;
});

const env = () => ({
  FULLSTORY_API_KEY: KEY,
  FULLSTORY_API_URL: fullstory.url,
  STRIPE_API_KEY: stripe.apiKey,
  STRIPE_API_URL: stripe.url,
  BRIDGE_DATA_DIR: path.join(dir, "data"),
});
const checkpoint = () => path.join(dir, "checkpoint.json");
const readCheckpoint = () => JSON.parse(readFileSync(checkpoint(), "utf8")) as { jobs: { n: number; state: string; id?: string; users: number }[] };
/** Each uid with the number of times a finished job imported it. */
const importsByUid = () => {
  const counts = new Map<string, number>();
  for (const job of fullstory.batch.jobs.values()) for (const user of job.imported) counts.set(String(user.uid), (counts.get(String(user.uid)) ?? 0) + 1);
  return counts;
};

describe("a backfill interrupted and resumed", () => {
  it("stops on Ctrl-C with its jobs created but unfinished, then polls those by id and imports everything exactly once", async () => {
    seedStripe(stripe, 1_000);
    // Jobs do not finish during the first run: they are in progress when it is interrupted.
    fullstory.batch.pollsToFinish = 1_000;
    let signalled = false;
    const first = spawnCli(["stripe", "--job-size", "200", "--checkpoint", checkpoint()], env(), (stderr, child) => {
      if (!signalled && /job 2: 200 users sent/.test(stderr)) {
        signalled = true;
        child.kill("SIGINT");
      }
    });
    const interrupted = await first.done;
    expect(interrupted.stderr).toContain("Stopping after the current page");
    expect(interrupted.code).toBe(130);
    expect(interrupted.stdout).toContain("Backfill of stripe (local): interrupted");
    expect(interrupted.stdout).toContain(`Run the same command again to resume from ${checkpoint()}`);
    // Two jobs in progress, the most the command keeps: the next one waits, sealed, for the resume.
    const created = readCheckpoint().jobs.filter((j) => j.state === "created");
    expect(created.map((j) => j.n)).toEqual([1, 2]);
    expect(fullstory.batch.jobs.size).toBe(2);
    expect([...fullstory.batch.jobs.values()].every((j) => j.status === "PROCESSING")).toBe(true);

    fullstory.batch.pollsToFinish = 2;
    const resumed = await runInProcess(["stripe", "--job-size", "200", "--checkpoint", checkpoint()], env());
    expect(resumed.code).toBe(0);
    // The jobs created before the interruption were polled by their id, not sent again.
    for (const job of created) expect(resumed.stderr).not.toContain(`job ${job.n}: ${job.users} users sent`);
    expect(readCheckpoint().jobs.map((j) => j.id).sort()).toEqual([...fullstory.batch.jobs.keys()].sort());
    const imports = importsByUid();
    expect(imports.size).toBe(1_000);
    expect([...imports.values()].every((n) => n === 1)).toBe(true);
    expect(resumed.stdout).toMatch(/read\s+1,000 customers/);
    expect(resumed.stdout).toMatch(/imported\s+1,000/);
  });

  it("after kill -9 while a job was being created, sends it again under its Idempotency-Key and gets the same job back", async () => {
    seedStripe(stripe, 250);
    // Fullstory creates the first job but holds its answer back: the command dies waiting for it.
    fullstory.batch.faults.push({ delayMs: 30_000 });
    const first = spawnCli(["stripe", "--job-size", "100", "--checkpoint", checkpoint()], env(), () => undefined);
    for (let i = 0; i < 600 && fullstory.batch.jobs.size === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    first.child.kill("SIGKILL");
    expect((await first.done).signal).toBe("SIGKILL");
    const [job1] = readCheckpoint().jobs;
    expect(job1).toMatchObject({ n: 1, state: "sealed", users: 100 });
    expect(existsSync(`${checkpoint().replace(/\.json$/, "")}.job-1.json`)).toBe(true);
    const createdBefore = fullstory.batch.jobs.size;

    const resumed = await runInProcess(["stripe", "--job-size", "100", "--checkpoint", checkpoint()], env());
    expect(resumed.code).toBe(0);
    const jobs = readCheckpoint().jobs;
    // Job 1 is Fullstory's first job, answered again rather than created twice.
    expect(jobs[0]?.id).toBe([...fullstory.batch.jobs.keys()][0]);
    expect(fullstory.batch.jobs.size).toBe(jobs.length);
    expect(fullstory.batch.jobs.size - createdBefore).toBe(jobs.length - createdBefore);
    const imports = importsByUid();
    expect(imports.size).toBe(250);
    expect([...imports.values()].every((n) => n === 1)).toBe(true);
  });

  it("does nothing for a finished checkpoint, says so, and starts over with --restart", async () => {
    seedStripe(stripe, 20);
    expect((await runInProcess(["stripe", "--checkpoint", checkpoint()], env())).code).toBe(0);
    const again = await runInProcess(["stripe", "--checkpoint", checkpoint()], env());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already complete (nothing to do; --restart to backfill again)");
    expect(fullstory.batch.jobs.size).toBe(1);
    const restarted = await runInProcess(["stripe", "--restart", "--checkpoint", checkpoint()], env());
    expect(restarted.code).toBe(0);
    expect(fullstory.batch.jobs.size).toBe(2);
  });

  it("refuses to resume a checkpoint with other options (exit status 2), naming them", async () => {
    seedStripe(stripe, 5);
    expect((await runInProcess(["stripe", "--limit", "2", "--checkpoint", checkpoint()], env())).code).toBe(0);
    const other = await runCli(["stripe", "--since", "2024-01-01", "--checkpoint", checkpoint()], env());
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`The checkpoint ${checkpoint()} was made with since null, limit 2: run with the same options to resume it, or add --restart`);
  });
});
