import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDynamoStateStore } from "../../functions/state/dynamo";
import { runCli, seedClerk, seedStripe, uidOf, workDir } from "../support/backfill";
import { startClerkApiFake, type ClerkApiFake } from "../support/clerk-api-fake";
import { startDynamo, type LoopbackDynamo } from "../support/dynamo";
import { startFullstoryFake, type FullstoryFake } from "../support/fullstory-fake";
import { startSsmFake, type SsmFake } from "../support/ssm-fake";
import { startStripeApiFake, type StripeApiFake } from "../support/stripe-api-fake";

/**
 * `npm run backfill -- <source> --stage <stage>`, the real command run from a checkout that deployed
 * the stage: its keys from the stage's SSM parameters (an SSM fake speaking AWS JSON), its identity
 * directory in the stage's state table (dynalite), both through the real AWS SDK with the shell's
 * AWS settings, the table's name from `.sst/outputs.json`.
 */

const STAGE = "bfstage";
const KEY = "na1.stage-fullstory-key";
let fullstory: FullstoryFake;
let stripe: StripeApiFake;
let clerk: ClerkApiFake;
let ssm: SsmFake;
let dynamo: LoopbackDynamo;
let table: string;
let cwd: string;

beforeAll(async () => {
  [fullstory, stripe, clerk, ssm, dynamo] = await Promise.all([startFullstoryFake({ keys: [KEY] }), startStripeApiFake(), startClerkApiFake(), startSsmFake(), startDynamo()]);
  table = await dynamo.createStateTable(`${STAGE}-state`);
  fullstory.batch.pollsToFinish = 1;
});
afterAll(() => Promise.all([fullstory.stop(), stripe.stop(), clerk.stop(), ssm.stop(), dynamo.stop()]));
beforeEach(() => {
  cwd = workDir();
  fullstory.batch.jobs.clear();
  ssm.set(`/fullstory-bridge/${STAGE}/fullstory-api-key`, KEY);
  ssm.set(`/fullstory-bridge/${STAGE}/stripe-api-key`, stripe.apiKey);
  ssm.remove(`/fullstory-bridge/${STAGE}/clerk-secret-key`);
});

/** `.sst/outputs.json` as `sst deploy` leaves it, in the working directory the command runs from. */
function deployed(stage: string) {
  mkdirSync(path.join(cwd, ".sst"), { recursive: true });
  const queue = (name: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/${name}.fifo`;
  writeFileSync(path.join(cwd, ".sst", "outputs.json"), JSON.stringify({ stage, queueUrl: queue("q"), deadLetterQueueUrl: queue("dlq"), stateTableName: table }));
}

/** The operator's shell: AWS settings, URL overrides, and keys of its own that a stage must not use. */
const shell = () => ({
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_ENDPOINT_URL_SSM: ssm.endpoint,
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  FULLSTORY_API_URL: fullstory.url,
  STRIPE_API_URL: stripe.url,
  CLERK_API_URL: clerk.url,
  FULLSTORY_API_KEY: "na1.the-shells-own-key",
  STRIPE_API_KEY: "rk_test_the_shells_own_key",
});

describe("npm run backfill -- <source> --stage <stage>", () => {
  it("reads the stage's keys from SSM and teaches the stage's state table, ignoring the shell's own keys", async () => {
    deployed(STAGE);
    seedStripe(stripe, 12, { withoutUidEvery: 6 });
    const { code, stdout, stderr } = await runCli(["stripe", "--stage", STAGE], shell(), { cwd });
    expect(stderr).toContain(`Backfill of stripe (stage ${STAGE}): to ${fullstory.url} (key: SSM parameter /fullstory-bridge/${STAGE}/fullstory-api-key), checkpoint .backfill/stripe-${STAGE}.json`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/imported\s+10/);
    expect(ssm.calls).toBeGreaterThanOrEqual(2);

    const state = createDynamoStateStore({ tableName: table, client: dynamo.client });
    const { uids } = await state.read({ subjects: ["cus_000001", "cus_000006"].map((subject) => ({ source: "stripe", subject })), orders: [] });
    expect([...uids.values()]).toEqual([uidOf(1)]);
  });

  it("refuses outputs of another stage, saying which stage they are from", async () => {
    deployed("production");
    const { code, stderr } = await runCli(["stripe", "--stage", STAGE], shell(), { cwd });
    expect(code).toBe(1);
    expect(stderr).toContain(`.sst/outputs.json is from the last deploy, of stage "production", not "${STAGE}"`);
  });

  it("names the stage's missing Clerk secret key parameter and the command that puts it", async () => {
    deployed(STAGE);
    seedClerk(clerk, 2);
    const { code, stderr } = await runCli(["clerk", "--stage", STAGE], shell(), { cwd });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `SSM parameter /fullstory-bridge/${STAGE}/clerk-secret-key does not exist. Put Clerk's secret key (sk_live_…) there: aws ssm put-parameter --type SecureString --name /fullstory-bridge/${STAGE}/clerk-secret-key --value '…'`,
    );
    expect(fullstory.batch.jobs.size).toBe(0);
  });
});
