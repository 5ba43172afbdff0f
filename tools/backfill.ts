import { USAGE, UsageError, main } from "./backfill/cli";

/**
 * `npm run backfill -- <stripe|clerk> [options]`: see tools/backfill/cli.ts and docs/backfill.md.
 * The first Ctrl-C stops after the current page, keeps the checkpoint and prints the summary; a
 * second one exits at once (the checkpoint on disk is always whole: it is replaced atomically).
 */

const stop = new AbortController();
process.on("SIGINT", () => {
  if (stop.signal.aborted) process.exit(130);
  process.stderr.write("\nStopping after the current page (Ctrl-C again to quit at once)…\n");
  stop.abort();
});

main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  tty: process.stderr.isTTY === true,
  stop,
}).then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`backfill: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
