import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openStateStore } from "../../local/state-store";
import { runCli, runInProcess, seedClerk, uidOf, workDir } from "../support/backfill";
import { startClerkApiFake, type ClerkApiFake } from "../support/clerk-api-fake";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";

/** `npm run backfill -- clerk` against the Clerk Backend API fake and the Fullstory fake, in local mode. */

const KEY = "na1.backfill-clerk-key";
let fullstory: FullstoryFake;
let clerk: ClerkApiFake;
let dir: string;

beforeAll(async () => {
  [fullstory, clerk] = await Promise.all([startFullstoryFake({ keys: [KEY] }), startClerkApiFake()]);
});
afterAll(() => Promise.all([fullstory.stop(), clerk.stop()]));
beforeEach(() => {
  dir = workDir();
  clerk.users.length = 0;
  clerk.requests.length = 0;
  clerk.faults.length = 0;
  fullstory.users.clear();
  fullstory.batch.jobs.clear();
});

const env = (more: Record<string, string> = {}) => ({
  FULLSTORY_API_KEY: KEY,
  FULLSTORY_API_URL: fullstory.url,
  CLERK_SECRET_KEY: clerk.secretKey,
  CLERK_API_URL: clerk.url,
  BRIDGE_DATA_DIR: path.join(dir, "data"),
  ...more,
});
const checkpoint = () => path.join(dir, "checkpoint.json");
const imported = () => [...fullstory.batch.jobs.values()].flatMap((j) => j.imported.map((u) => String(u.uid)));

describe("npm run backfill -- clerk", () => {
  it("imports 1 200 users read oldest first over 3 pages, by external_id, and lists the users without one", async () => {
    const ids = seedClerk(clerk, 1_200, { withoutUidEvery: 100 });
    const { code, stdout } = await runInProcess(["clerk", "--job-size", "1000", "--checkpoint", checkpoint()], env({ CLERK_UID_FIELD: "external_id" }));
    expect(code).toBe(0);
    const pages = clerk.requests.filter((r) => r.path === "/v1/users");
    expect(pages).toHaveLength(3);
    expect(pages.map((r) => [r.query.get("limit"), r.query.get("order_by")])).toEqual([
      ["500", "+created_at"],
      ["500", "+created_at"],
      ["500", "+created_at"],
    ]);
    // Two jobs may be created at once, so Fullstory may receive them in either order.
    expect([...fullstory.batch.jobs.values()].map((j) => j.requests.length).sort((a, b) => b - a)).toEqual([1_000, 188]);
    expect(new Set(imported()).size).toBe(1_188);
    expect(imported()).toHaveLength(1_188);
    expect(fullstory.users.get(uidOf(1))).toMatchObject({
      email: "u1@example.com",
      display_name: "User 1",
      properties: { signed_up_at: "2024-06-10T06:13:21.000Z", email_verified: true, last_sign_in_at: "2024-06-11T10:00:01.000Z" },
    });
    expect(stdout).toMatch(/read\s+1,200 users/);
    expect(stdout).toMatch(/unresolved\s+12 \(no external_id on the Clerk user, and none in the identity directory\)/);
    expect(stdout).toContain(`${ids[99]}, ${ids[199]}`);

    // Clerk's id → the external id, for the user.deleted events that carry only Clerk's id.
    const state = openStateStore({ dir: path.join(dir, "data") });
    const { uids } = await state.read({ subjects: [{ source: "clerk", subject: ids[0] as string }], orders: [] });
    state.close();
    expect([...uids.values()]).toEqual([uidOf(1)]);
  });

  it("resolves a user without an external_id through the identity directory, as a webhook would", async () => {
    const [id] = seedClerk(clerk, 1, { first: 100, withoutUidEvery: 100 });
    const state = openStateStore({ dir: path.join(dir, "data") });
    await state.learn("clerk", id as string, "user_from_directory");
    state.close();
    const { code } = await runInProcess(["clerk", "--checkpoint", checkpoint()], env({ CLERK_UID_FIELD: "external_id" }));
    expect(code).toBe(0);
    expect(imported()).toEqual(["user_from_directory"]);
  });

  it("pages by creation time, so a user deleted between an interruption and the resume shifts nothing", async () => {
    const ids = seedClerk(clerk, 600);
    const stop = new AbortController();
    clerk.onRequest = () => stop.abort();
    const first = await runInProcess(["clerk", "--checkpoint", checkpoint()], env(), { stop });
    delete clerk.onRequest;
    // Interrupted after the first page: its 500 users wait, sealed as a job, for the next run.
    expect(first.code).toBe(130);
    expect(first.stdout).toMatch(/sent\s+0 users in 0 job\(s\); 1 more \(500 users\) not sent yet/);
    expect(fullstory.batch.jobs.size).toBe(0);

    // A user already read goes away: a plain offset of 500 would now skip the 501st.
    clerk.users.splice(2, 1);
    const rest = await runInProcess(["clerk", "--checkpoint", checkpoint()], env());
    expect(rest.code).toBe(0);
    const resumed = clerk.requests.at(-1);
    expect([resumed?.query.get("created_at_after"), resumed?.query.get("offset")]).toEqual([String(1_718_000_000_000 + 500 * 1000 - 1), "1"]);
    // Under CLERK_UID_FIELD=id (the default) the uid is Clerk's id: each user exactly once.
    expect(imported().sort()).toEqual([...ids].sort());
  });

  it("waits out Clerk's 429 for its Retry-After", async () => {
    seedClerk(clerk, 3);
    clerk.faults.push({ status: 429, retryAfterSeconds: 1 });
    const { code, stderr } = await runInProcess(["clerk", "--checkpoint", checkpoint()], env());
    expect(code).toBe(0);
    expect(stderr).toMatch(/Clerk users: Clerk's rate limit: waiting (1\.\d|2\.\d) s/);
    expect(clerk.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(imported()).toHaveLength(3);
  });

  it("stops with exit status 1 and names the setting when Clerk refuses the secret key", async () => {
    seedClerk(clerk, 3);
    const { code, stdout } = await runCli(["clerk", "--checkpoint", checkpoint()], env({ CLERK_SECRET_KEY: "sk_test_wrong" }));
    expect(code).toBe(1);
    expect(stdout).toContain("Backfill of clerk (local): FAILED");
    expect(stdout).toContain("error: Clerk refused the secret key (CLERK_SECRET_KEY)");
    expect(fullstory.batch.jobs.size).toBe(0);
  });
});
