// Sets up SST's platform in .sst/platform (SST's components, @pulumi/pulumi, @pulumi/aws and the
// types of all three), which `npm test` type-checks and evaluates the stacks against, and which
// `sst deploy` uses. It needs the npm registry and nothing else: the platform ships inside the
// sst-linux-x64 npm binary and its dependencies come from npm. Without the variables below,
// `sst install` would first download Pulumi and Bun from GitHub and write under ~/.config/sst.
//
// Cached and idempotent: after a complete setup, a marker records the SST version it was made
// with; while it matches the installed `sst` package, this does nothing. Everything it writes
// stays in the git-ignored .sst/ (npm's own download cache aside).
// https://sst.dev/docs/reference/cli/#install
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const at = (path) => `${root}${path}`;
const marker = at(".sst/platform/setup-complete");
const version = JSON.parse(readFileSync(at("node_modules/sst/package.json"), "utf8")).version;

const upToDate = () =>
  existsSync(marker) &&
  readFileSync(marker, "utf8") === version &&
  existsSync(at(".sst/platform/config.d.ts")) &&
  existsSync(at(".sst/platform/node_modules/@pulumi/aws/package.json"));

if (!upToDate()) {
  console.error(`Setting up SST ${version}'s platform in .sst/platform from npm (first run only, about half a minute)...`);
  const registry = npmRegistry();
  const tmp = at(".sst/tmp");
  mkdirSync(tmp, { recursive: true });
  try {
    // The stage only names the input of the config's app(); `sst install` deploys nothing.
    execFileSync(at("node_modules/.bin/sst"), ["install", "--stage", "setup"], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      timeout: 10 * 60_000,
      env: {
        ...process.env,
        XDG_CONFIG_HOME: at(".sst/config"),
        // SST writes its log to the temporary directory.
        TMPDIR: tmp,
        SST_TELEMETRY_DISABLED: "1",
        SST_SKIP_DEPENDENCY_CHECK: "true",
        SST_NO_BUN: "1",
        // SST looks providers up in the registry itself; make it the one npm uses.
        NPM_REGISTRY: process.env.NPM_REGISTRY ?? registry.replace(/\/+$/, ""),
      },
    });
  } catch {
    console.error(failure(registry));
    process.exit(1);
  }
  writeFileSync(marker, version);
  rmSync(tmp, { recursive: true, force: true });
  console.error("SST's platform is set up.");
}

function npmRegistry() {
  return execFileSync("npm", ["config", "get", "registry"], { cwd: root, encoding: "utf8" }).trim();
}

/** Why the setup failed, in words that say what to do: most often, the registry cannot be reached. */
function failure(registry) {
  try {
    execFileSync("npm", ["ping", "--fetch-retries=0"], { cwd: root, stdio: "ignore", timeout: 60_000 });
  } catch {
    return (
      `Could not set up SST's platform: ${registry} cannot be reached. The setup downloads @pulumi/aws and ` +
      "SST's platform dependencies from npm (nothing else); connect to it, or point npm at a reachable registry " +
      "(`npm config set registry <url>`), then run `npm test` again."
    );
  }
  return `Could not set up SST's platform: \`sst install\` failed (see above), although ${registry} answers.`;
}
