import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, stat, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/** scripts/setup-sst.mjs, which `npm test` runs before type-checking and evaluating the stacks. */

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

async function setup(cwd: string, env: NodeJS.ProcessEnv = process.env) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [path.join(cwd, "scripts", "setup-sst.mjs")], { cwd, env });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("SST platform setup", () => {
  it("does nothing, and says nothing, when the platform is set up for the installed SST version", async () => {
    const marker = path.join(root, ".sst", "platform", "setup-complete");
    const before = (await stat(marker)).mtimeMs;
    expect(await setup(root)).toEqual({ code: 0, output: "" });
    expect((await stat(marker)).mtimeMs).toBe(before);
  });

  it("stops with a message naming the registry when npm's registry cannot be reached", async () => {
    const project = await mkdtemp(path.join(tmpdir(), "bridge-setup-"));
    try {
      for (const item of ["sst.config.ts", "package.json", "stacks", "functions", "scripts"]) {
        await cp(path.join(root, item), path.join(project, item), { recursive: true });
      }
      await symlink(path.join(root, "node_modules"), path.join(project, "node_modules"));
      const registry = `http://127.0.0.1:${await closedPort()}/`;
      const env = { ...process.env, npm_config_registry: registry, NPM_REGISTRY: undefined };
      const { code, output } = await setup(project, env);
      expect(code).toBe(1);
      expect(output).toContain(`Could not set up SST's platform: ${registry} cannot be reached.`);
      await expect(stat(path.join(project, ".sst", "platform", "setup-complete"))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});
