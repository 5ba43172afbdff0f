import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { StageOverrides } from "../../stacks/settings";
import { buildProgram, evaluateApp, type SstApp } from "./sst-program";
import { startRpcStandIn, type RpcCall } from "./sst-rpc-stand-in";

/**
 * `sst deploy --stage <stage>` with Pulumi's engine replaced by its unit-test mocks: the config
 * and the stacks run with SST's real components from `.sst/platform` (set up by
 * `npm run setup:sst`), and every resource they register is recorded with its inputs and options.
 * Nothing reaches AWS; the CLI's RPC server is a loopback stand-in that really bundles each
 * function. A few seconds per stage.
 */

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const platform = path.join(root, ".sst", "platform");
const runner = fileURLToPath(new URL("./pulumi-mock-run.mjs", import.meta.url));

/** The account and region the mocked deploys go to. */
export const MOCK_AWS = { account: "123456789012", region: "us-east-1" } as const;

/** One registered resource: a component (`sst:aws:Queue`) or a cloud resource (`aws:sqs/queue:Queue`). */
export interface MockResource {
  type: string;
  name: string;
  custom: boolean;
  /** As registered, with every Output resolved from the mocks (test/support/pulumi-mock-values.mjs). */
  inputs: Record<string, unknown>;
  /** The state the mocks gave it: its inputs and what AWS would add (`arn`, `url`, …). */
  state: Record<string, unknown>;
  /** Set by SST's removal policy or by a transform; undefined when nothing set it. */
  retainOnDelete?: boolean;
}

/** One statement of an IAM policy document, as AWS reads it. */
export interface PolicyStatement {
  Effect: string;
  Action?: string[];
  Resource?: string[];
  Principal?: Record<string, string[]>;
  Condition?: Record<string, Record<string, string[]>>;
}

/** What an `sst.aws.Function` became: the Lambda function, its role and what the role allows. */
export interface SstFunction {
  lambda: MockResource;
  role: MockResource;
  environment: Record<string, string>;
  /** The statements of the role's inline policy, in order. */
  statements: PolicyStatement[];
  /** Who may assume the role. */
  trust: PolicyStatement[];
}

export interface MockStack {
  app: SstApp;
  resources: MockResource[];
  /** Data sources read (`aws:kms/getKey:getKey`, …), with their inputs. */
  invokes: { token: string; inputs: Record<string, unknown> }[];
  /** What `run()` returned, as `sst deploy` prints it. */
  outputs: Record<string, unknown>;
  /** Calls SST's components made to the CLI. */
  rpc: RpcCall[];
  /** The resources of `type`, optionally only the one(s) named `name`. */
  all(type: string, name?: string): MockResource[];
  /** The one resource of `type` named `name`; throws unless there is exactly one. */
  one(type: string, name: string): MockResource;
  /** The SQS queue of the `sst.aws.Queue` named `name` (SST names it `<name>Queue`). */
  queue(name: string): MockResource;
  /** The resources of the `sst.aws.Function` named `name` (SST names them `<name>Function`, `<name>Role`). */
  fn(name: string): SstFunction;
}

const document = (json: unknown) => (JSON.parse(String(json)) as { Statement: PolicyStatement[] }).Statement;

function stackOf(app: SstApp, raw: Pick<MockStack, "resources" | "invokes" | "outputs">, rpc: RpcCall[]): MockStack {
  const all = (type: string, name?: string) => raw.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
  const one = (type: string, name: string) => {
    const found = all(type, name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0] as MockResource;
  };
  return {
    app,
    ...raw,
    rpc,
    all,
    one,
    queue: (name) => one("aws:sqs/queue:Queue", `${name}Queue`),
    fn(name) {
      const lambda = one("aws:lambda/function:Function", `${name}Function`);
      const role = one("aws:iam/role:Role", `${name}Role`);
      const inline = (role.inputs.inlinePolicies ?? []) as { policy: string }[];
      return {
        lambda,
        role,
        environment: (lambda.inputs.environment as { variables: Record<string, string> }).variables,
        statements: inline.flatMap((p) => document(p.policy)),
        trust: document(role.inputs.assumeRolePolicy),
      };
    },
  };
}

function requirePlatform() {
  if (!existsSync(path.join(platform, "setup-complete"))) {
    throw new Error("SST's platform is not set up in .sst/platform: run `npm run setup:sst` (npm test does it first)");
  }
}

/** The app settings SST derives from the config's `app()` for `stage`. */
export async function appSettings(stage: string): Promise<SstApp> {
  requirePlatform();
  const scratch = await mkdtemp(path.join(tmpdir(), "bridge-sst-"));
  try {
    return await evaluateApp(root, stage, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Runs `sst.config.ts` for `stage` under the mocks. With `overrides`, runs the same stacks with
 * those stage overrides instead of `stacks/stages.ts`'s entry (app() still comes from the config).
 */
export async function deployWithMocks(stage: string, overrides?: StageOverrides): Promise<MockStack> {
  requirePlatform();
  const work = await mkdtemp(path.join(tmpdir(), "bridge-sst-"));
  const rpc = await startRpcStandIn(root, work, MOCK_AWS.account);
  let program: string | undefined;
  try {
    const app = await evaluateApp(root, stage, work);
    let entry: string | undefined;
    if (overrides) {
      entry = path.join(work, "entry.ts");
      const stacks = (file: string) => JSON.stringify(path.join(root, "stacks", file));
      await writeFile(
        entry,
        `import { bridge } from ${stacks("index.ts")};\nimport { stageSettings } from ${stacks("settings.ts")};\n` +
          `export default { run: async () => bridge(stageSettings($app.stage, ${JSON.stringify(overrides)})) };\n`,
      );
    }
    program = await buildProgram(root, app, { work, home: path.join(root, ".sst", "config", "sst") }, entry);
    const { stdout } = await exec(process.execPath, [runner, program, platform, app.name, stage, MOCK_AWS.account, MOCK_AWS.region], {
      cwd: root,
      env: { ...process.env, SST_SERVER: rpc.url },
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = stdout.split("\n").find((l) => l.startsWith("~j"));
    if (!line) throw new Error(`the mocked deploy of ${stage} printed no result:\n${stdout}`);
    return stackOf(app, JSON.parse(line.slice(2)), rpc.calls);
  } finally {
    await rpc.close();
    if (program) await Promise.all([rm(program, { force: true }), rm(`${program}.map`, { force: true })]);
    await rm(work, { recursive: true, force: true });
  }
}
