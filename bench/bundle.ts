import { execFile } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { median, round } from "./stats";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);

export const FUNCTIONS = ["ingest", "deliver"] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/**
 * SST's own esbuild options for a Node.js function when deployed (pkg/runtime/node/build.go in
 * github.com/sst/sst, and `nodejs.minify` defaulting to true in its Function component): bundled,
 * ESM, platform node, minified, names kept, no source map, the `require`/`__filename`/`__dirname`
 * banner, and only `sharp` and `pg-native` left external, so the AWS SDK v3 is bundled.
 * https://github.com/sst/sst/blob/dev/pkg/runtime/node/build.go
 * SST leaves the target at esnext unless told; node22 (the Lambda runtime) gives the same output here.
 */
const SST_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");

export interface Bundles {
  dir: string;
  files: Record<FunctionName, string>;
  kb: Record<FunctionName, number>;
  /** Removes the temporary directory. */
  remove(): Promise<void>;
}

/** Builds each function's production bundle into a fresh temporary directory (never into the project). */
export async function buildBundles(): Promise<Bundles> {
  const dir = await mkdtemp(path.join(tmpdir(), "bridge-bench-"));
  const files = {} as Record<FunctionName, string>;
  const kb = {} as Record<FunctionName, number>;
  for (const name of FUNCTIONS) {
    const outfile = path.join(dir, `${name}.mjs`);
    await build({
      entryPoints: [path.join(projectRoot, "functions", `${name}.ts`)],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      minify: true,
      keepNames: true,
      mainFields: ["module", "main"],
      external: ["sharp", "pg-native"],
      sourcemap: false,
      banner: { js: SST_BANNER },
      logLevel: "error",
    });
    files[name] = outfile;
    kb[name] = round((await stat(outfile)).size / 1024, 1);
  }
  return { dir, files, kb, remove: () => rm(dir, { recursive: true, force: true }) };
}

// Runs in the fresh process: the time of one dynamic import, as Lambda's runtime does for an ESM handler.
const PROBE = "const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));";

async function importMs(file: string): Promise<number> {
  // A bare environment: no NODE_OPTIONS (loaders, inspectors) from whoever started the benchmark.
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", PROBE, pathToFileURL(file).href], {
    env: { PATH: process.env.PATH ?? "" },
  });
  return Number(stdout);
}

/**
 * Cold init per function: the median, over `processes` fresh Node processes each, of the time to
 * import its bundle, minus the same median for an empty module (the loader's fixed cost). The
 * processes of the three kinds are interleaved so that machine noise falls on all alike.
 */
export async function coldInit(bundles: Bundles, processes: number): Promise<Record<FunctionName, number>> {
  const empty = path.join(bundles.dir, "empty.mjs");
  await writeFile(empty, "export {};\n");
  const samples: Record<FunctionName | "empty", number[]> = { empty: [], ingest: [], deliver: [] };
  for (let i = 0; i < processes; i++) {
    samples.empty.push(await importMs(empty));
    for (const name of FUNCTIONS) samples[name].push(await importMs(bundles.files[name]));
  }
  const base = median(samples.empty);
  return { ingest: round(median(samples.ingest) - base), deliver: round(median(samples.deliver) - base) };
}
