import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { build, type Plugin } from "esbuild";

/**
 * What SST's CLI (4.17) does with `sst.config.ts` before Pulumi runs a stage, redone with the
 * same esbuild options so the program under test is the one `sst deploy` would run:
 * - `app()` is bundled with `$config` as the identity and evaluated by a separate `node`, which
 *   gives the app's settings; a top-level import in the config is refused
 *   (pkg/project/project.go, pkg/js/js.go);
 * - `run()` is bundled with `$app`, `$cli` and `$dev` defined, SST's shim injected (`$interpolate`,
 *   `$config`, `$util`, …), `aws` (@pulumi/aws) and `sst` (the platform's components) imported
 *   at the top of every file outside `.sst/`, and `@pulumi/*` left to `.sst/platform/node_modules`;
 *   its default export is what SST's `run()` wrapper returns (pkg/project/run.go, platform/src/auto/run.ts).
 */

const exec = promisify(execFile);

/** The app settings SST derives from `app()`, as it defines `$app` for `run()`. */
export interface SstApp {
  name: string;
  stage: string;
  removal: "remove" | "retain" | "retain-all";
  protect: boolean;
  home: string;
  providers: Record<string, unknown>;
  [key: string]: unknown;
}

/** esbuild's entry for each program: what SST passes as stdin, with the file names it uses. */
const BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");

const EXTERNAL = ["@pulumi/*", "undici", "@pulumiverse/*", "@sst-provider/*", "@aws-sdk/*", "esbuild", "archiver", "glob", "vite"];

async function bundle(root: string, outfile: string, code: string, options: { banner?: string; define: Record<string, string>; plugins: Plugin[]; inject?: string[] }) {
  await build({
    stdin: { contents: code, resolveDir: root, sourcefile: "eval.ts", loader: "ts" },
    outfile,
    bundle: true,
    write: true,
    format: "esm",
    platform: "node",
    mainFields: ["module", "main"],
    sourcemap: "linked",
    nodePaths: [path.join(root, ".sst", "platform", "node_modules")],
    external: EXTERNAL,
    banner: { js: `${BANNER}\n${options.banner ?? ""}` },
    define: options.define,
    inject: options.inject,
    plugins: options.plugins,
    logLevel: "silent",
  });
}

const refuseTopLevelImports: Plugin = {
  name: "DisallowImports",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (path.basename(args.importer) === "sst.config.ts" && args.kind === "import-statement") {
        return { errors: [{ text: `sst.config.ts imports "${args.path}" at the top level, which SST refuses: import it inside app() or run()` }] };
      }
      return undefined;
    });
  },
};

/** Evaluates the config's `app()` for `stage` and completes it as SST's CLI does. */
export async function evaluateApp(root: string, stage: string, scratch: string): Promise<SstApp> {
  const outfile = path.join(root, ".sst", "platform", `sst.config.app-${path.basename(scratch)}.mjs`);
  await bundle(
    root,
    outfile,
    `import mod from ${JSON.stringify(path.join(root, "sst.config.ts"))};\nconsole.log("~j" + JSON.stringify(await mod.app({ stage: $input.stage || undefined })));`,
    { banner: "function $config(input) { return input }", define: { $input: JSON.stringify({ stage }) }, plugins: [refuseTopLevelImports] },
  );
  try {
    const { stdout } = await exec(process.execPath, ["--no-warnings", outfile], { cwd: root });
    const line = stdout.split("\n").find((l) => l.startsWith("~j"));
    if (!line) throw new Error(`app() printed no settings:\n${stdout}`);
    const app = JSON.parse(line.slice(2)) as SstApp;
    const providers = { ...app.providers };
    if (!(app.home in providers) && app.home !== "local") providers[app.home] = {};
    return { ...app, stage, providers, removal: app.removal ?? "retain", protect: app.protect ?? false };
  } finally {
    await rm(outfile, { force: true });
    await rm(`${outfile}.map`, { force: true });
  }
}

/** SST's per-file prelude: the provider packages and the platform's components as globals. */
function injectGlobals(root: string, globals: string): Plugin {
  const sstDir = path.join(root, ".sst");
  return {
    name: "InjectGlobals",
    setup(b) {
      b.onLoad({ filter: /\.(js|ts|jsx|tsx)$/ }, async (args) => {
        if (args.path.startsWith(sstDir)) return undefined;
        const contents = await readFile(args.path, "utf8");
        return { contents: args.path.includes(".sst") ? contents : `${globals}\n${contents}`, loader: "default" };
      });
    },
  };
}

export interface ProgramPaths {
  /** SST's working directory for this run (artifacts, zips); `.sst` in a real deploy. */
  work: string;
  /** SST's own configuration directory. */
  home: string;
}

/**
 * Bundles `run()` for `app` into `.sst/platform/` (where `@pulumi/*` resolve) and returns its path.
 * `entry`, when given, is a module that default-exports an object with a `run()`, used in place
 * of the config: the same stacks with other stage overrides.
 */
export async function buildProgram(root: string, app: SstApp, paths: ProgramPaths, entry?: string): Promise<string> {
  const platform = path.join(root, ".sst", "platform");
  const outfile = path.join(platform, `sst.config.run-${path.basename(paths.work)}.mjs`);
  const cli = { command: "deploy", dev: false, paths: { home: paths.home, root, work: paths.work, platform }, state: { version: {} } };
  const globals = [`import * as aws from "@pulumi/aws";`, `import * as sst from ${JSON.stringify(path.join(platform, "src", "components"))};`].join("\n");
  await bundle(
    root,
    outfile,
    [
      `import { run } from ${JSON.stringify(path.join(platform, "src", "auto", "run.ts"))};`,
      `import mod from ${JSON.stringify(entry ?? path.join(root, "sst.config.ts"))};`,
      "const result = await run(mod.run);",
      "export default result;",
    ].join("\n"),
    {
      define: { $app: JSON.stringify(app), $cli: JSON.stringify(cli), $dev: "false" },
      inject: [path.join(platform, "src", "shim", "run.js")],
      plugins: [injectGlobals(root, globals)],
    },
  );
  return outfile;
}
