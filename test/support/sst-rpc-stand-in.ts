import { existsSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { build } from "esbuild";

/**
 * A loopback stand-in for the two calls SST's AWS components make to the CLI's RPC server during a
 * deploy: `Provider.Aws.Bootstrap` (the account's asset bucket) and `Runtime.Build` (bundle one
 * function). SST's components find the server through `SST_SERVER` and speak Go's net/rpc JSON
 * codec over `POST /rpc` (platform/src/components/rpc/rpc.ts; pkg/server/server.go in SST).
 * Any other method answers as Go's server does for an unknown one, which the components treat as
 * "not there" or fail on, so a new call shows up in a test rather than being faked silently.
 */

export interface RpcCall {
  method: string;
  args: Record<string, unknown>;
}

export interface RpcStandIn {
  /** The value for `SST_SERVER`. */
  url: string;
  calls: RpcCall[];
  close(): Promise<void>;
}

/** What SST's node runtime resolves a handler's file from (pkg/runtime/node/node.go). */
const NODE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

// Lambda's Node.js runtimes and the syntax level SST's node runtime builds for each.
const TARGETS: Record<string, string> = { "nodejs20.x": "es2023", "nodejs22.x": "es2023", "nodejs24.x": "es2024" };

const BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");

interface BuildInput {
  functionID: string;
  handler: string;
  runtime: string;
  properties?: { minify?: boolean };
}

/**
 * `Runtime.Build` for a Node.js function as SST's CLI does it when deploying (pkg/runtime/node/
 * build.go): the handler's file bundled by esbuild into `<work>/artifacts/<functionID>-src/bundle.mjs`,
 * ESM for node, names kept, a linked source map, only `sharp` and `pg-native` external.
 */
async function buildFunction(root: string, work: string, input: BuildInput) {
  const base = path.join(path.dirname(input.handler), path.basename(input.handler).split(".").slice(0, -1).join("."));
  const file = NODE_EXTENSIONS.map((ext) => path.resolve(root, base + ext)).find((f) => existsSync(f));
  if (!file) throw new Error(`Handler not found: ${input.handler}`);
  const out = path.join(work, "artifacts", `${input.functionID}-src`);
  const result = await build({
    entryPoints: [file],
    outfile: path.join(out, "bundle.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: TARGETS[input.runtime] ?? "esnext",
    keepNames: true,
    minify: input.properties?.minify === true,
    mainFields: ["module", "main"],
    external: ["sharp", "pg-native"],
    sourcemap: "linked",
    banner: { js: BANNER },
    logLevel: "silent",
  });
  return {
    out,
    handler: `bundle${path.extname(input.handler)}`,
    errors: result.errors.map((e) => e.text),
    sourcemaps: [path.join(out, "bundle.mjs.map")],
  };
}

/** The account's SST bootstrap in `region`: where function code is uploaded. */
function bootstrap(account: string, region: string) {
  return {
    asset: `sst-asset-${region}`,
    assetEcrRegistryId: account,
    assetEcrUrl: `${account}.dkr.ecr.${region}.amazonaws.com/sst-asset`,
    state: `sst-state-${region}`,
    appsyncHttp: "",
    appsyncRealtime: "",
  };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Starts the stand-in on 127.0.0.1 (an ephemeral port) for the project at `root`, building into
 * `work`, for a deploy to `account`.
 */
export async function startRpcStandIn(root: string, work: string, account: string): Promise<RpcStandIn> {
  const calls: RpcCall[] = [];
  const server = createServer(async (req, res) => {
    const request = JSON.parse(await body(req)) as { id?: unknown; method: string; params: [Record<string, unknown>] };
    const args = request.params[0];
    calls.push({ method: request.method, args });
    let reply: { result: unknown; error: string | null };
    try {
      if (request.method === "Provider.Aws.Bootstrap") reply = { result: bootstrap(account, String(args.region)), error: null };
      else if (request.method === "Runtime.Build") reply = { result: await buildFunction(root, work, args as unknown as BuildInput), error: null };
      else reply = { result: null, error: `rpc: can't find method ${request.method}` };
    } catch (err) {
      reply = { result: null, error: (err as Error).message };
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: request.id ?? null, ...reply }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
