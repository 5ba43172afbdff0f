import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createStateTableOn, dynamoClient, type LoopbackDynamo } from "../test/support/dynamo";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// The child: dynalite 4.0.0 in memory on 127.0.0.1 and an ephemeral port, which it prints.
const CHILD = `
const server = require("dynalite")({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

/**
 * dynalite in a process of its own, for the benchmark: DynamoDB runs on other machines, so the
 * emulator's own work (it validates and stores every item in JavaScript) must not take turns with
 * the deliver function on one event loop, as it does when started in-process for the tests. The
 * child ends when its stdin closes, so it cannot outlive the benchmark.
 */
export async function startDynamoProcess(): Promise<LoopbackDynamo> {
  const child = spawn(process.execPath, ["-e", CHILD], { cwd: projectRoot, stdio: ["pipe", "pipe", "inherit"], env: { PATH: process.env.PATH ?? "" } });
  const [line] = (await Promise.race([once(child.stdout, "data"), once(child, "exit").then(() => [Buffer.from("")])])) as [Buffer];
  const port = Number(line.toString().trim());
  if (!port) throw new Error("dynalite did not start in its own process");
  const endpoint = `http://127.0.0.1:${port}`;
  const client = dynamoClient(endpoint);
  return {
    endpoint,
    client,
    createStateTable: (name) => createStateTableOn(client, name),
    async stop() {
      client.destroy();
      const exited = once(child, "exit");
      child.stdin.end();
      await exited;
    },
  };
}
