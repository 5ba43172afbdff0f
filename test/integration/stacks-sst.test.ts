import { beforeAll, describe, expect, it } from "vitest";
import { SOURCE_NAMES } from "../../functions/config";
import { SQS_LIMITS } from "../../functions/queue/limits";
import type { StageOverrides } from "../../stacks/settings";
import { appSettings, deployWithMocks, MOCK_AWS, type MockStack } from "../support/sst-stack";

/**
 * The stacks as SST 4.17's own components build them: `sst.config.ts` evaluated as `sst deploy`
 * would, under Pulumi's unit-test mocks (test/support/sst-stack.ts). The assertions are on the
 * AWS resources SST registers and their inputs, not on what the stacks passed to SST.
 */

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:bridge-alerts";
/** A stage with every kind of override, through the same stacks. */
const STAGING: StageOverrides = {
  sources: ["stripe"],
  parameterKmsKey: "alias/bridge",
  deliverTimeoutSeconds: 60,
  region: "eu1",
  apiUrl: "https://api.eu1.fullstory.com",
  parameterTtlSeconds: 60,
  alarmTopicArns: [TOPIC],
  stripeApi: true,
  stripeUidMetadataKeys: ["app_user"],
  queueAgeAlarmMinutes: 30,
  invalidSignatureAlarmPercent: 50,
  quietAlarmMinutes: 60,
};

let dev: MockStack;
let production: MockStack;
let staging: MockStack;
beforeAll(async () => {
  [dev, production, staging] = await Promise.all([deployWithMocks("dev"), deployWithMocks("production"), deployWithMocks("staging", STAGING)]);
}, 180_000);
const stacks = () => [dev, production, staging];

const { account, region } = MOCK_AWS;
const ssmArn = (name: string) => `arn:aws:ssm:${region}:${account}:parameter${name}`;
const kmsArn = (keyId: string) => `arn:aws:kms:${region}:${account}:key/${keyId}`;
const viaSsm = { StringEquals: { "kms:ViaService": [`ssm.${region}.amazonaws.com`] } };
const arn = (r: { state: Record<string, unknown> }) => r.state.arn as string;
/** `/fullstory-bridge/<stage>/<source>-webhook-secret` for every source, in SOURCE_NAMES' order. */
const secretNames = (stage: string) => SOURCE_NAMES.map((s) => `/fullstory-bridge/${stage}/${s}-webhook-secret`);

describe("sst.config.ts", () => {
  it("retains and protects production and prod only", async () => {
    expect(production.app).toMatchObject({ name: "fullstory-webhook-bridge", home: "aws", removal: "retain", protect: true });
    expect(await appSettings("prod")).toMatchObject({ removal: "retain", protect: true });
    for (const stack of [dev, staging]) expect(stack.app).toMatchObject({ name: "fullstory-webhook-bridge", home: "aws", removal: "remove", protect: false });
  });
});

describe("queues, as SST creates them", () => {
  it("makes both queues FIFO with producer-set deduplication and SQS's largest message size", () => {
    for (const stack of stacks()) {
      for (const name of ["Queue", "DeadLetterQueue"]) {
        expect(stack.queue(name).inputs, `${stack.app.stage} ${name}`).toMatchObject({
          fifoQueue: true,
          contentBasedDeduplication: false,
          maxMessageSize: SQS_LIMITS.messageBytes,
          name: expect.stringMatching(/\.fifo$/),
        });
      }
      expect(stack.all("aws:sqs/queue:Queue")).toHaveLength(2);
    }
  });

  it("moves a message to the dead-letter queue after 5 receives, and keeps dead letters 14 days", () => {
    for (const stack of stacks()) {
      const deadLetter = stack.queue("DeadLetterQueue");
      expect(JSON.parse(String(stack.queue("Queue").inputs.redrivePolicy))).toEqual({ deadLetterTargetArn: arn(deadLetter), maxReceiveCount: 5 });
      expect(deadLetter.inputs.redrivePolicy).toBeUndefined();
      expect(deadLetter.inputs.messageRetentionSeconds).toBe(14 * 24 * 3600);
    }
  });

  it("hides a received message for six times the deliver timeout", () => {
    for (const [stack, timeout] of [[dev, 30], [production, 30], [staging, 60]] as const) {
      expect(stack.fn("Deliver").lambda.inputs.timeout).toBe(timeout);
      expect(stack.queue("Queue").inputs.visibilityTimeoutSeconds).toBe(6 * timeout);
    }
  });

  it("hands deliver batches of 10 from the main queue with partial batch responses and no batching window", () => {
    for (const stack of stacks()) {
      const [mapping, ...others] = stack.all("aws:lambda/eventSourceMapping:EventSourceMapping");
      expect(others).toEqual([]);
      // FIFO queues take no batching window: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
      expect(mapping?.inputs).toEqual({
        eventSourceArn: arn(stack.queue("Queue")),
        functionName: arn(stack.fn("Deliver").lambda),
        batchSize: 10,
        functionResponseTypes: ["ReportBatchItemFailures"],
        maximumBatchingWindowInSeconds: 0,
      });
    }
  });

  it("keeps production's queues, and any table, when the stage or the resource is removed, and nothing else of the bridge's", () => {
    const retained = production.resources.filter((r) => r.retainOnDelete).map((r) => r.name);
    // SST keeps uploaded source maps itself (platform/src/components/aws/function.ts).
    expect(retained.sort()).toEqual(["DeadLetterQueueQueue", "DeliverSourcemap0", "IngestSourcemap0", "QueueQueue", "StateTable"]);
    expect(production.all("aws:dynamodb/table:Table")).toHaveLength(1);
    for (const table of production.all("aws:dynamodb/table:Table")) expect(table.retainOnDelete, table.name).toBe(true);
    for (const stack of [dev, staging]) {
      expect(stack.all("aws:sqs/queue:Queue").map((q) => q.retainOnDelete)).toEqual([undefined, undefined]);
      expect(stack.all("aws:dynamodb/table:Table").map((t) => t.retainOnDelete)).toEqual([undefined]);
    }
  });
});

describe("the state table, as SST creates it", () => {
  it("keys the identity directory, watermarks and waiting letters by pk and sk, on demand, expiring entries by TTL", () => {
    for (const stack of stacks()) {
      expect(stack.one("aws:dynamodb/table:Table", "StateTable").inputs).toMatchObject({
        billingMode: "PAY_PER_REQUEST",
        hashKey: "pk",
        rangeKey: "sk",
        attributes: [
          { name: "pk", type: "S" },
          { name: "sk", type: "S" },
        ],
        ttl: { attributeName: "expires_at", enabled: true },
      });
    }
  });
});

describe("functions, as SST creates them", () => {
  it("runs ingest and deliver on nodejs22.x, arm64, from the handlers SST bundled", () => {
    for (const stack of stacks()) {
      expect(stack.all("aws:lambda/function:Function").map((f) => f.name).sort()).toEqual(["DeliverFunction", "IngestFunction"]);
      for (const name of ["Ingest", "Deliver"]) {
        expect(stack.fn(name).lambda.inputs).toMatchObject({ runtime: "nodejs22.x", architectures: ["arm64"], handler: "bundle.handler", memorySize: 256 });
      }
      const builds = stack.rpc.filter((c) => c.method === "Runtime.Build").map((c) => [c.args.handler, c.args.runtime]);
      expect(builds.sort()).toEqual([
        ["functions/deliver.handler", "nodejs22.x"],
        ["functions/ingest.handler", "nodejs22.x"],
      ]);
    }
  });

  it("gives ingest its queues' URLs, live mode and one secret parameter per enabled source, and nothing else of the bridge's", () => {
    const sst = (stage: string) => ({
      SST_KEY: expect.any(String),
      SST_KEY_FILE: "resource.enc",
      SST_RESOURCE_App: JSON.stringify({ name: "fullstory-webhook-bridge", stage }),
      BRIDGE_STAGE: stage,
    });
    const queues = (stack: MockStack) => ({ BRIDGE_QUEUE_URL: stack.queue("Queue").state.url, BRIDGE_DEAD_LETTER_QUEUE_URL: stack.queue("DeadLetterQueue").state.url });
    expect(dev.fn("Ingest").environment).toEqual({
      ...sst("dev"),
      ...queues(dev),
      BRIDGE_LIVE: "false",
      ...Object.fromEntries(SOURCE_NAMES.map((s, i) => [`${s.toUpperCase()}_WEBHOOK_SECRET_PARAMETER`, secretNames("dev")[i]])),
    });
    expect(production.fn("Ingest").environment).toMatchObject({ BRIDGE_LIVE: "true" });
    expect(staging.fn("Ingest").environment).toEqual({
      ...sst("staging"),
      ...queues(staging),
      BRIDGE_LIVE: "false",
      BRIDGE_PARAMETER_TTL_SECONDS: "60",
      STRIPE_WEBHOOK_SECRET_PARAMETER: "/fullstory-bridge/staging/stripe-webhook-secret",
      STRIPE_UID_METADATA_KEYS: "app_user",
    });
    const table = (stack: MockStack) => ({ BRIDGE_STATE_TABLE: stack.one("aws:dynamodb/table:Table", "StateTable").state.name });
    expect(dev.fn("Deliver").environment).toEqual({ ...sst("dev"), ...queues(dev), ...table(dev), FULLSTORY_API_KEY_PARAMETER: "/fullstory-bridge/dev/fullstory-api-key" });
    expect(staging.fn("Deliver").environment).toEqual({
      ...sst("staging"),
      ...queues(staging),
      ...table(staging),
      BRIDGE_PARAMETER_TTL_SECONDS: "60",
      FULLSTORY_API_KEY_PARAMETER: "/fullstory-bridge/staging/fullstory-api-key",
      FULLSTORY_API_URL: "https://api.eu1.fullstory.com",
      FULLSTORY_REGION: "eu1",
      STRIPE_API_KEY_PARAMETER: "/fullstory-bridge/staging/stripe-api-key",
      STRIPE_UID_METADATA_KEYS: "app_user",
    });
  });
});

describe("least privilege, in the IAM policies SST writes", () => {
  it("lets ingest only send to both queues, read this stage's source secrets, and decrypt them through SSM", () => {
    const ingest = dev.fn("Ingest");
    expect(ingest.lambda.inputs.role).toBe(arn(ingest.role));
    expect(ingest.statements).toEqual([
      { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [arn(dev.queue("Queue")), arn(dev.queue("DeadLetterQueue"))] },
      {
        Effect: "Allow",
        Action: ["ssm:GetParameter"],
        Resource: secretNames("dev").map(ssmArn),
      },
      { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [kmsArn("alias/aws/ssm")], Condition: viaSsm },
    ]);
  });

  it("lets deliver only consume the main queue, send to the dead-letter queue, use the state table, and read and decrypt this stage's key", () => {
    const deliver = dev.fn("Deliver");
    expect(deliver.lambda.inputs.role).toBe(arn(deliver.role));
    expect(deliver.statements).toEqual([
      {
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        Resource: [arn(dev.queue("Queue"))],
      },
      { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [arn(dev.queue("DeadLetterQueue"))] },
      {
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"],
        Resource: [arn(dev.one("aws:dynamodb/table:Table", "StateTable"))],
      },
      { Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [ssmArn("/fullstory-bridge/dev/fullstory-api-key")] },
      { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [kmsArn("alias/aws/ssm")], Condition: viaSsm },
    ]);
  });

  it("scopes another stage's grants to its own parameters, its enabled sources and its KMS key", () => {
    expect(staging.fn("Ingest").statements.slice(1)).toEqual([
      { Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [ssmArn("/fullstory-bridge/staging/stripe-webhook-secret")] },
      { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [kmsArn("alias/bridge")], Condition: viaSsm },
    ]);
    expect(staging.fn("Deliver").statements.slice(-2)).toEqual([
      // Stripe API mode's read-only key, beside the Fullstory key.
      // Read together with one GetParameters on the container's first batch.
      { Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: [ssmArn("/fullstory-bridge/staging/fullstory-api-key"), ssmArn("/fullstory-bridge/staging/stripe-api-key")] },
      { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [kmsArn("alias/bridge")], Condition: viaSsm },
    ]);
  });

  it("adds only CloudWatch logging to each role, and no `link` (which grants sqs:* on a queue)", () => {
    for (const stack of stacks()) {
      for (const name of ["Ingest", "Deliver"]) {
        const fn = stack.fn(name);
        expect(fn.role.inputs.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]);
        // SST 4.17 trusts the account's root as well as Lambda on every function's role (its
        // `!dev` tests an Output, which is always truthy); an IAM principal still needs its own
        // sts:AssumeRole grant to use that. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
        expect(fn.trust).toEqual([
          { Effect: "Allow", Action: ["sts:AssumeRole"], Principal: { Service: ["lambda.amazonaws.com"], AWS: [`arn:aws:iam::${account}:root`] } },
        ]);
      }
      for (const build of stack.rpc.filter((c) => c.method === "Runtime.Build")) expect(build.args.links).toEqual({});
    }
  });

  it("creates no IAM resource, function URL or invoke permission beyond the functions' roles and the API's routes", () => {
    const counts: Record<string, number> = {};
    for (const r of dev.resources.filter((r) => r.custom)) counts[r.type] = (counts[r.type] ?? 0) + 1;
    expect(counts).toEqual({
      "aws:apigatewayv2/api:Api": 1,
      "aws:apigatewayv2/integration:Integration": 2,
      "aws:apigatewayv2/route:Route": 2,
      "aws:apigatewayv2/stage:Stage": 1,
      "aws:cloudwatch/logGroup:LogGroup": 3,
      "aws:cloudwatch/dashboard:Dashboard": 1,
      // Dead letters, queue age, ingest and deliver errors, and invalid signatures for each source.
      "aws:cloudwatch/metricAlarm:MetricAlarm": 4 + SOURCE_NAMES.length,
      "aws:dynamodb/table:Table": 1,
      "aws:iam/role:Role": 2,
      "aws:lambda/eventSourceMapping:EventSourceMapping": 1,
      "aws:lambda/function:Function": 2,
      "aws:lambda/permission:Permission": 2,
      "aws:s3/bucketObjectv2:BucketObjectv2": 4,
      "aws:sqs/queue:Queue": 2,
      "random:index/randomBytes:RandomBytes": 1,
    });
    for (const permission of dev.all("aws:lambda/permission:Permission")) {
      expect(permission.inputs).toEqual({
        action: "lambda:InvokeFunction",
        function: arn(dev.fn("Ingest").lambda),
        principal: "apigateway.amazonaws.com",
        sourceArn: `${dev.one("aws:apigatewayv2/api:Api", "ApiApi").state.executionArn}/*`,
      });
    }
  });
});

describe("API and alarm, as SST creates them", () => {
  it("routes exactly POST /webhooks/{source} and GET /healthz to ingest, with payload format 2.0 and no CORS", () => {
    const api = dev.one("aws:apigatewayv2/api:Api", "ApiApi");
    expect(api.inputs).toMatchObject({ protocolType: "HTTP", corsConfiguration: {} });
    const integrations = new Map(dev.all("aws:apigatewayv2/integration:Integration").map((i) => [`integrations/${i.name}-id`, i.inputs]));
    const routes = dev.all("aws:apigatewayv2/route:Route").map((r) => [r.inputs.routeKey, integrations.get(String(r.inputs.target))]);
    const ingest = { apiId: "ApiApi-id", integrationType: "AWS_PROXY", integrationUri: arn(dev.fn("Ingest").lambda), payloadFormatVersion: "2.0" };
    expect(routes.sort()).toEqual([
      ["GET /healthz", ingest],
      ["POST /webhooks/{source}", ingest],
    ]);
  });

  it("raises an alarm as soon as one message is visible on the dead-letter queue, telling the stage's SNS topics", () => {
    for (const [stack, topics] of [[dev, []], [staging, [TOPIC]]] as const) {
      expect(stack.one("aws:cloudwatch/metricAlarm:MetricAlarm", "DeadLetterAlarm").inputs).toMatchObject({
        name: `fullstory-webhook-bridge-${stack.app.stage}-dead-letters`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: stack.queue("DeadLetterQueue").inputs.name },
        statistic: "Maximum",
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        period: 60,
        evaluationPeriods: 1,
        alarmActions: topics,
        okActions: topics,
      });
    }
  });

  it("raises an alarm when the main queue's oldest message is older than the stage's limit (15 min unless set)", () => {
    for (const [stack, minutes, topics] of [[dev, 15, []], [staging, 30, [TOPIC]]] as const) {
      expect(stack.one("aws:cloudwatch/metricAlarm:MetricAlarm", "QueueAgeAlarm").inputs).toMatchObject({
        name: `fullstory-webhook-bridge-${stack.app.stage}-queue-age`,
        namespace: "AWS/SQS",
        metricName: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: stack.queue("Queue").inputs.name },
        statistic: "Maximum",
        threshold: minutes * 60,
        comparisonOperator: "GreaterThanThreshold",
        alarmActions: topics,
        okActions: topics,
      });
    }
  });

  it("raises an alarm per served source when its share of invalid signatures over 15 min passes the stage's threshold", () => {
    expect(dev.all("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.name.startsWith("InvalidSignatureAlarm"))).toHaveLength(SOURCE_NAMES.length);
    const alarm = staging.one("aws:cloudwatch/metricAlarm:MetricAlarm", "InvalidSignatureAlarmStripe").inputs as Record<string, unknown>;
    expect(alarm).toMatchObject({ name: "fullstory-webhook-bridge-staging-stripe-invalid-signatures", threshold: 50, comparisonOperator: "GreaterThanThreshold", alarmActions: [TOPIC] });
    const queries = alarm.metricQueries as { id: string; expression?: string; metric?: { metricName: string; dimensions: Record<string, string>; period: number; stat: string } }[];
    const invalid = queries.find((q) => q.id === "invalid")?.metric;
    expect(invalid).toEqual({
      namespace: "FullstoryWebhookBridge",
      metricName: "webhooks_invalid_signature",
      dimensions: { service: "fullstory-webhook-bridge", stage: "staging", source: "stripe" },
      period: 900,
      stat: "Sum",
    });
    expect(queries.find((q) => q.id === "share")?.expression).toMatch(/100 \* FILL\(invalid,0\) \//);
  });

  it("raises an alarm on any error of either function, and one when nothing is accepted only where the stage asks", () => {
    for (const name of ["Ingest", "Deliver"]) {
      expect(dev.one("aws:cloudwatch/metricAlarm:MetricAlarm", `${name}ErrorsAlarm`).inputs).toMatchObject({
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: dev.fn(name).lambda.state.name },
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
      });
    }
    expect(dev.all("aws:cloudwatch/metricAlarm:MetricAlarm", "QuietAlarm")).toEqual([]);
    expect(staging.one("aws:cloudwatch/metricAlarm:MetricAlarm", "QuietAlarm").inputs).toMatchObject({
      name: "fullstory-webhook-bridge-staging-quiet",
      evaluationPeriods: 12,
      comparisonOperator: "LessThanOrEqualToThreshold",
      threshold: 0,
      treatMissingData: "breaching",
      alarmActions: [TOPIC],
    });
  });

  it("builds one dashboard per stage over the bridge's metrics, the queues and both functions", () => {
    const dashboard = dev.one("aws:cloudwatch/dashboard:Dashboard", "Dashboard").inputs as { dashboardName: string; dashboardBody: string };
    expect(dashboard.dashboardName).toBe("fullstory-webhook-bridge-dev");
    const body = JSON.parse(dashboard.dashboardBody) as { widgets: { properties: { title: string; metrics: unknown[][] } }[] };
    expect(body.widgets.map((w) => w.properties.title)).toEqual([
      "Webhooks by source and outcome",
      "Deliveries and dead letters",
      "Queue depth and oldest message (s)",
      "Fullstory latency (ms)",
      "Function errors and throttles",
      "Fullstory answers, Stripe calls, lifecycle events",
    ]);
    const flat = JSON.stringify(body);
    expect(flat).toContain(String(dev.queue("Queue").inputs.name));
    expect(flat).toContain(String(dev.fn("Deliver").lambda.state.name));
    expect(flat).toContain('"p99"');
  });

  it("outputs the webhook URL of each enabled source and the queues' URLs and names", () => {
    const url = dev.one("aws:apigatewayv2/api:Api", "ApiApi").state.apiEndpoint;
    const [queue, deadLetter] = [dev.queue("Queue"), dev.queue("DeadLetterQueue")];
    expect(dev.outputs).toEqual({
      stage: "dev",
      url,
      ...Object.fromEntries(SOURCE_NAMES.map((s) => [`${s}WebhookUrl`, `${url}/webhooks/${s}`])),
      queueUrl: queue.state.url,
      queueName: queue.inputs.name,
      deadLetterQueueUrl: deadLetter.state.url,
      deadLetterQueueName: deadLetter.inputs.name,
      stateTableName: dev.one("aws:dynamodb/table:Table", "StateTable").state.name,
      dashboardName: "fullstory-webhook-bridge-dev",
      _protect: false,
    });
    expect(Object.keys(staging.outputs).filter((k) => k.endsWith("WebhookUrl"))).toEqual(["stripeWebhookUrl"]);
  });
});
