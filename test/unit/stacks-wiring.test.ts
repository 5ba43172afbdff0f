import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { bridge } from "../../stacks";
import { stageSettings, type StageOverrides } from "../../stacks/settings";
import { installSstStandIn, rendered, type Recorded, type StandIn } from "../support/sst-stand-in";

/** `sst.config.ts` as the stand-in's identity `$config` leaves it. */
interface SstConfig {
  app(input: { stage: string }): Promise<{ name: string; home: string; removal: string; protect: boolean }>;
  run(): Promise<Record<string, unknown>>;
}

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

// Imported by a computed path: the file references `.sst/platform` types, which the root tsconfig
// does not have (stacks/tsconfig.json checks it where they are installed).
async function loadSstConfig(): Promise<SstConfig> {
  const path = root("sst.config.ts");
  return ((await import(/* @vite-ignore */ path)) as { default: SstConfig }).default;
}

interface Permission {
  actions: string[];
  resources: string[];
  conditions?: { test: string; variable: string; values: string[] }[];
}
interface FunctionArgs {
  handler: string;
  runtime: string;
  architecture: string;
  memory: string;
  timeout: string;
  environment: Record<string, string>;
  permissions: Permission[];
}

let standIn: StandIn | undefined;
afterEach(() => {
  standIn?.restore();
  standIn = undefined;
});

/** Runs `sst.config.ts` for `stage` against the stand-in: what it declared, and what it returned. */
async function deployConfig(stage: string) {
  standIn = installSstStandIn(stage);
  const outputs = rendered(await (await loadSstConfig()).run()) as Record<string, string>;
  return { records: standIn.records, outputs };
}

/** Runs the stacks for `stage` with explicit overrides (the stage table aside). */
function deployStacks(stage: string, overrides: StageOverrides) {
  standIn = installSstStandIn(stage);
  const outputs = rendered(bridge(stageSettings(stage, overrides))) as Record<string, string>;
  return { records: standIn.records, outputs };
}

function all(records: Recorded[], kind: string, name?: string): Recorded[] {
  return records.filter((r) => r.kind === kind && (name === undefined || r.name === name));
}

function one<T>(records: Recorded[], kind: string, name?: string): T {
  const found = all(records, kind, name);
  expect(found, `${kind} ${name ?? ""}`).toHaveLength(1);
  return rendered(found[0]?.args) as T;
}

/** "180 seconds", "2 minutes" → seconds. */
function seconds(duration: string): number {
  const match = /^(\d+) (second|minute)s?$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * (match[2] === "minute" ? 60 : 1);
}

/** Every (action, resource) pair a function is granted, with the conditions attached. */
function grants(fn: FunctionArgs) {
  return fn.permissions.flatMap((p) => p.actions.flatMap((action) => p.resources.map((resource) => ({ action, resource, conditions: p.conditions }))));
}

const pairs = (fn: FunctionArgs) => grants(fn).map((g) => `${g.action} ${g.resource}`).sort();
const ssmArn = (name: string) => `arn:<partition>:ssm:<region>:<account>:parameter${name}`;

describe("sst.config.ts", () => {
  it("names the app, keeps its state in AWS, and retains and protects production-like stages only", async () => {
    standIn = installSstStandIn("production");
    const config = await loadSstConfig();
    for (const stage of ["production", "prod"]) {
      expect(await config.app({ stage })).toEqual({ name: "fullstory-webhook-bridge", home: "aws", removal: "retain", protect: true });
    }
    expect(await config.app({ stage: "dev" })).toEqual({ name: "fullstory-webhook-bridge", home: "aws", removal: "remove", protect: false });
  });
});

describe("stack wiring, as recorded by a stand-in for SST (not checked here: what SST and Pulumi make of it, and whether AWS accepts it)", () => {
  it("pairs a FIFO queue with a FIFO dead-letter queue, producer-set deduplication, and a redrive after at least 5 receives", async () => {
    const { records } = await deployConfig("dev");
    expect(all(records, "sst.aws.Queue")).toHaveLength(2);
    const queue = one<{ fifo: unknown; dlq: { queue: string; retry: number } }>(records, "sst.aws.Queue", "Queue");
    const dlq = one<{ fifo: unknown; transform: { queue: { messageRetentionSeconds: number } } }>(records, "sst.aws.Queue", "DeadLetterQueue");
    expect(queue.fifo).toEqual({ contentBasedDeduplication: false });
    expect(dlq.fifo).toEqual({ contentBasedDeduplication: false });
    expect(queue.dlq.queue).toBe("<DeadLetterQueue.arn>");
    expect(queue.dlq.retry).toBeGreaterThanOrEqual(5);
    expect(dlq.transform.queue.messageRetentionSeconds).toBe(14 * 24 * 3600);
  });

  it("subscribes deliver to the main queue in batches of 10 with partial batch responses", async () => {
    const { records } = await deployConfig("dev");
    expect(all(records, "sst.aws.Queue.subscribe")).toHaveLength(1);
    const subscription = one<{ subscriber: string; batch: { size: number; partialResponses: boolean } }>(records, "sst.aws.Queue.subscribe", "Queue");
    expect(subscription.subscriber).toBe("<Deliver.arn>");
    expect(subscription.batch).toEqual({ size: 10, partialResponses: true });
  });

  it("hides a received message for at least six times the deliver timeout", async () => {
    for (const deliverTimeoutSeconds of [30, 60, 120]) {
      const { records } = deployStacks("dev", { deliverTimeoutSeconds });
      const queue = one<{ visibilityTimeout: string }>(records, "sst.aws.Queue", "Queue");
      const deliver = one<FunctionArgs>(records, "sst.aws.Function", "Deliver");
      expect(seconds(deliver.timeout)).toBe(deliverTimeoutSeconds);
      expect(seconds(queue.visibilityTimeout)).toBeGreaterThanOrEqual(6 * seconds(deliver.timeout));
      standIn?.restore();
    }
  });

  it("routes exactly POST /webhooks/{source} and GET /healthz, both to the one ingest function, without CORS", async () => {
    const { records } = await deployConfig("dev");
    expect(one(records, "sst.aws.ApiGatewayV2", "Api")).toEqual({ cors: false });
    const routes = all(records, "sst.aws.ApiGatewayV2.route").map((r) => rendered(r.args) as { route: string; handler: string });
    expect(routes.sort((a, b) => a.route.localeCompare(b.route))).toEqual([
      { route: "GET /healthz", handler: "<Ingest.arn>" },
      { route: "POST /webhooks/{source}", handler: "<Ingest.arn>" },
    ]);
  });

  it("runs both functions on nodejs22.x, arm64, from handlers that exist and export `handler`", async () => {
    const { records } = await deployConfig("dev");
    const functions = all(records, "sst.aws.Function").map((r) => ({ name: r.name, ...(rendered(r.args) as FunctionArgs) }));
    expect(functions.map((f) => [f.name, f.handler]).sort()).toEqual([
      ["Deliver", "functions/deliver.handler"],
      ["Ingest", "functions/ingest.handler"],
    ]);
    for (const fn of functions) {
      expect(fn.runtime).toBe("nodejs22.x");
      expect(fn.architecture).toBe("arm64");
      expect(fn.memory).toBe("256 MB");
      const file = root(`${fn.handler.replace(/\.handler$/, "")}.ts`);
      expect(existsSync(file), file).toBe(true);
      expect(typeof ((await import(/* @vite-ignore */ file)) as { handler?: unknown }).handler).toBe("function");
    }
  });

  it("grants no wildcard action or resource to any function", async () => {
    const { records } = await deployConfig("dev");
    for (const r of all(records, "sst.aws.Function")) {
      for (const { action, resource } of grants(rendered(r.args) as FunctionArgs)) {
        expect(action, r.name).toMatch(/^[a-z0-9]+:[A-Za-z]+$/);
        expect(resource, r.name).not.toContain("*");
      }
    }
  });

  it("lets ingest only send to both queues and read this stage's source secrets", async () => {
    const { records } = await deployConfig("dev");
    const ingest = one<FunctionArgs>(records, "sst.aws.Function", "Ingest");
    expect(pairs(ingest)).toEqual(
      [
        "sqs:SendMessage <Queue.arn>",
        "sqs:SendMessage <DeadLetterQueue.arn>",
        `ssm:GetParameter ${ssmArn("/fullstory-bridge/dev/stripe-webhook-secret")}`,
        `ssm:GetParameter ${ssmArn("/fullstory-bridge/dev/clerk-webhook-secret")}`,
        `ssm:GetParameter ${ssmArn("/fullstory-bridge/dev/standard-webhook-secret")}`,
        "kms:Decrypt <kms-key alias/aws/ssm>",
      ].sort(),
    );
  });

  it("lets deliver only consume the main queue, send to the dead-letter queue and read this stage's key", async () => {
    const { records } = await deployConfig("dev");
    const deliver = one<FunctionArgs>(records, "sst.aws.Function", "Deliver");
    expect(pairs(deliver)).toEqual(
      [
        "sqs:ReceiveMessage <Queue.arn>",
        "sqs:DeleteMessage <Queue.arn>",
        "sqs:ChangeMessageVisibility <Queue.arn>",
        "sqs:GetQueueAttributes <Queue.arn>",
        "sqs:SendMessage <DeadLetterQueue.arn>",
        `ssm:GetParameter ${ssmArn("/fullstory-bridge/dev/fullstory-api-key")}`,
        "kms:Decrypt <kms-key alias/aws/ssm>",
      ].sort(),
    );
  });

  it("allows kms:Decrypt only through SSM in the stage's region", async () => {
    const { records } = await deployConfig("dev");
    const decrypts = all(records, "sst.aws.Function").flatMap((r) => grants(rendered(r.args) as FunctionArgs).filter((g) => g.action.startsWith("kms:")));
    expect(decrypts).toHaveLength(2);
    for (const grant of decrypts) {
      expect(grant.action).toBe("kms:Decrypt");
      expect(grant.conditions).toEqual([{ test: "StringEquals", variable: "kms:ViaService", values: ["ssm.<region>.amazonaws.com"] }]);
    }
  });

  it("scopes SSM reads to another stage's own parameters and to its enabled sources only", () => {
    const { records } = deployStacks("staging", { sources: ["stripe"], parameterKmsKey: "alias/bridge" });
    const ingest = one<FunctionArgs>(records, "sst.aws.Function", "Ingest");
    const ssm = grants(ingest).filter((g) => g.action.startsWith("ssm:"));
    expect(ssm.map((g) => g.resource)).toEqual([ssmArn("/fullstory-bridge/staging/stripe-webhook-secret")]);
    expect(grants(ingest).find((g) => g.action === "kms:Decrypt")?.resource).toBe("<kms-key alias/bridge>");
    expect(Object.keys(ingest.environment).filter((k) => k.endsWith("_WEBHOOK_SECRET_PARAMETER"))).toEqual(["STRIPE_WEBHOOK_SECRET_PARAMETER"]);
  });

  it("tells both functions where the two queues are", async () => {
    const { records } = await deployConfig("dev");
    for (const name of ["Ingest", "Deliver"]) {
      const fn = one<FunctionArgs>(records, "sst.aws.Function", name);
      expect(fn.environment).toMatchObject({ BRIDGE_QUEUE_URL: "<Queue.url>", BRIDGE_DEAD_LETTER_QUEUE_URL: "<DeadLetterQueue.url>" });
    }
  });

  it("raises an alarm as soon as one message is visible on the dead-letter queue", async () => {
    const { records } = await deployConfig("dev");
    const alarm = one<Record<string, unknown>>(records, "aws.cloudwatch.MetricAlarm", "DeadLetterAlarm");
    expect(alarm).toMatchObject({
      name: "fullstory-webhook-bridge-dev-dead-letters",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "<DeadLetterQueue.name>" },
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      period: 60,
      evaluationPeriods: 1,
    });
  });

  it("notifies the stage's SNS topics when the alarm changes", () => {
    const topic = "arn:aws:sns:eu-west-1:123456789012:bridge-alerts";
    const { records } = deployStacks("production", { alarmTopicArns: [topic] });
    expect(one(records, "aws.cloudwatch.MetricAlarm", "DeadLetterAlarm")).toMatchObject({ alarmActions: [topic], okActions: [topic] });
  });

  it("outputs the webhook URL of each enabled source and the queues' URLs and names", async () => {
    expect((await deployConfig("dev")).outputs).toEqual({
      stage: "dev",
      url: "<Api.url>",
      stripeWebhookUrl: "<Api.url>/webhooks/stripe",
      clerkWebhookUrl: "<Api.url>/webhooks/clerk",
      standardWebhookUrl: "<Api.url>/webhooks/standard",
      queueUrl: "<Queue.url>",
      queueName: "<Queue.name>",
      deadLetterQueueUrl: "<DeadLetterQueue.url>",
      deadLetterQueueName: "<DeadLetterQueue.name>",
    });
    expect(Object.keys(deployStacks("eu", { sources: ["clerk"] }).outputs).filter((k) => k.endsWith("WebhookUrl"))).toEqual(["clerkWebhookUrl"]);
  });

  it("uses a stand-in whose outputs refuse plain string conversion, as Pulumi Outputs do outside $interpolate", () => {
    standIn = installSstStandIn("dev");
    const queue = new sst.aws.Queue("Probe");
    expect(() => `${queue.arn}`).toThrow(/use \$interpolate/);
    expect(rendered($interpolate`${queue.arn}/x`)).toBe("<Probe.arn>/x");
    expect(() => new sst.aws.Queue("Probe")).toThrow(/duplicate/);
  });
});
