// Runs one SST program (the bundle test/support/sst-program.ts builds from sst.config.ts, as SST's
// CLI does) under Pulumi's unit-test mocks, in a process of its own: Pulumi's runtime and SST's
// components keep per-process state, so each stage gets a fresh one. Plain JavaScript, so Node
// runs it and the bundle natively. Prints one JSON line on stdout after a `~j` marker (as SST's
// CLI reads app()'s answer, so nothing the program prints is mistaken for it): every resource
// registered, with the options Pulumi would send the engine and the state the mocks gave it,
// every data source read, and the stack's outputs.
// https://www.pulumi.com/docs/iac/guides/testing/unit/
//
// Usage: node pulumi-mock-run.mjs <program.mjs> <platform dir> <project> <stage> <account> <region>
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { mockCall, mockState } from "./pulumi-mock-values.mjs";

const [program, platformDir, project, stage, account, region] = process.argv.slice(2);
const aws = { account, region };
// The @pulumi/pulumi SST's platform loads, so mocks and program share one runtime.
const pulumi = createRequire(path.join(platformDir, "package.json"))("@pulumi/pulumi");

const fail = (err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
};
process.on("unhandledRejection", fail);
process.on("uncaughtException", fail);

const resources = [];
const invokes = [];
const states = new Map();

await pulumi.runtime.setMocks(
  {
    newResource: ({ type, name, inputs }) => {
      const state = mockState(type, name, inputs, aws);
      states.set(`${type}::${name}`, state);
      return { id: `${name}-id`, state };
    },
    call: ({ token, inputs }) => {
      invokes.push({ token, inputs });
      return mockCall(token, inputs, aws);
    },
  },
  project,
  stage,
  false,
);

// The mocks see a resource's inputs but not its options; the request to the engine has both.
const monitor = pulumi.runtime.getMonitor();
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) => {
  resources.push({
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    inputs: pulumi.runtime.deserializeProperties(req.getObject()),
    retainOnDelete: req.hasRetainondelete() ? req.getRetainondelete() : undefined,
  });
  return register(req, callback);
};

const outputs = await pulumi.runtime.runInPulumiStack(async () => (await import(pathToFileURL(program).href)).default);
await pulumi.runtime.disconnect();
for (const r of resources) r.state = states.get(`${r.type}::${r.name}`) ?? {};
process.stdout.write(`\n~j${JSON.stringify({ resources, invokes, outputs })}\n`);
process.exit(0);
