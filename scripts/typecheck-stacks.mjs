// Type-checks sst.config.ts and stacks/ against SST's platform types. Those are generated into
// .sst/platform by `npx sst install`, which needs internet access; without them this says so and
// passes, and the stacks' wiring is still checked by test/unit/stacks-wiring.test.ts.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url);
if (existsSync(new URL(".sst/platform/config.d.ts", root))) {
  execSync("npx tsc -p stacks", { stdio: "inherit", cwd: root });
} else {
  console.log("typecheck:stacks skipped: .sst/platform is missing (run `npx sst install` on a machine with internet access).");
}
