import { rmSync } from "node:fs";
import path from "node:path";
import { runInProcess, seedClerk, seedStripe, workDir } from "../test/support/backfill";
import { startClerkApiFake } from "../test/support/clerk-api-fake";
import { startFullstoryFake, type FullstoryFake } from "../test/support/fullstory-fake";
import { startStripeApiFake } from "../test/support/stripe-api-fake";
import { round } from "./stats";

/**
 * `npm run backfill` throughput against the loopback fakes: the real command's main function, in
 * local mode (the identity directory in a temporary SQLite file), default job size, Stripe through
 * the official client. Fullstory's fake finishes a job on its second status poll, and the first
 * poll comes after POLL_MS instead of the command's two seconds: a real job takes Fullstory seconds
 * to minutes, which no fake models, so the figure is the command's own pace, reading included.
 */

const KEY = "na1.bench-backfill";
/** The first wait before a job is polled, here. */
export const POLL_MS = 50;

export interface BackfillBench {
  stripe: { customers: number; customers_per_s: number; fullstory_requests_per_1000: number; stripe_requests_per_customer: number; jobs: number };
  clerk: { users: number; users_per_s: number; fullstory_requests_per_1000: number; clerk_requests_per_1000: number; jobs: number };
}

const fullstoryRequests = (fake: FullstoryFake) => fake.requests.filter((r) => r.path.startsWith("/v2/users/batch")).length;

async function timed(run: () => Promise<{ code: number; stderr: string }>): Promise<number> {
  const started = performance.now();
  const { code, stderr } = await run();
  if (code !== 0) throw new Error(`the backfill under benchmark failed (${code}): ${stderr}`);
  return (performance.now() - started) / 1000;
}

/** Backfills `customers` Stripe customers and `users` Clerk users and reports the rates and request counts. */
export async function benchBackfill({ customers, users }: { customers: number; users: number }): Promise<BackfillBench> {
  const [fullstory, stripe, clerk] = await Promise.all([startFullstoryFake({ keys: [KEY] }), startStripeApiFake(), startClerkApiFake()]);
  const dir = workDir();
  try {
    const env = { FULLSTORY_API_KEY: KEY, FULLSTORY_API_URL: fullstory.url, BRIDGE_DATA_DIR: path.join(dir, "data") };
    seedStripe(stripe, customers);
    const stripeSeconds = await timed(() =>
      runInProcess(["stripe", "--checkpoint", path.join(dir, "stripe.json")], { ...env, STRIPE_API_KEY: stripe.apiKey, STRIPE_API_URL: stripe.url }, { firstPollMs: POLL_MS }),
    );
    const stripeFullstory = fullstoryRequests(fullstory);
    const stripeJobs = fullstory.batch.jobs.size;

    seedClerk(clerk, users);
    const clerkSeconds = await timed(() =>
      runInProcess(["clerk", "--checkpoint", path.join(dir, "clerk.json")], { ...env, CLERK_SECRET_KEY: clerk.secretKey, CLERK_API_URL: clerk.url }, { firstPollMs: POLL_MS }),
    );
    return {
      stripe: {
        customers,
        customers_per_s: round(customers / stripeSeconds, 1),
        fullstory_requests_per_1000: round((stripeFullstory * 1000) / customers, 2),
        stripe_requests_per_customer: round(stripe.requests.length / customers, 3),
        jobs: stripeJobs,
      },
      clerk: {
        users,
        users_per_s: round(users / clerkSeconds, 1),
        fullstory_requests_per_1000: round(((fullstoryRequests(fullstory) - stripeFullstory) * 1000) / users, 2),
        clerk_requests_per_1000: round((clerk.requests.length * 1000) / users, 2),
        jobs: fullstory.batch.jobs.size - stripeJobs,
      },
    };
  } finally {
    await Promise.all([fullstory.stop(), stripe.stop(), clerk.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The benchmark table's rows for `b`: metric, value, reference, goal, met (no goals: reported only). */
export function backfillRows(b: BackfillBench): [string, string, string, string, string][] {
  return [
    ["backfill stripe customers/s", String(b.stripe.customers_per_s), `${b.stripe.stripe_requests_per_customer} Stripe requests/customer`, "", ""],
    ["backfill clerk users/s", String(b.clerk.users_per_s), `${b.clerk.clerk_requests_per_1000} Clerk requests/1 000`, "", ""],
    ["backfill Fullstory req/1 000", String(b.stripe.fullstory_requests_per_1000), `${b.clerk.fullstory_requests_per_1000} (clerk)`, "", ""],
  ];
}
