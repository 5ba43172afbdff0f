// Runs before `npm start`, `npm test` and the other npm scripts: a fresh clone has no node_modules yet, so install them
// from the lockfile once. Plain Node, no dependencies, so it can run before anything is installed.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

if (!existsSync(new URL("../node_modules/.package-lock.json", import.meta.url))) {
  console.error("Installing dependencies from package-lock.json (first run only)...");
  execSync("npm ci --no-audit --no-fund", { stdio: "inherit", cwd: new URL("..", import.meta.url) });
}
