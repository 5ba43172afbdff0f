import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

/** Every field the benchmark issue names must be a number; the timings themselves are not asserted. */
const aNumber = expect.any(Number);

describe("npm run bench -- --quick --json", () => {
  it("ends with one JSON line carrying every reported field, and exits by itself", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "bench/run.ts", "--quick", "--json"], {
      cwd: projectRoot,
      timeout: 30_000,
    });
    const last = stdout.trimEnd().split("\n").at(-1) ?? "";
    const result = JSON.parse(last);
    expect(result).toMatchObject({
      ingest: {
        events: aNumber,
        us_per_event_p50: aNumber,
        stripe_construct_event_us_p50: aNumber,
        ratio_vs_stripe_construct_event: aNumber,
      },
      deliver: {
        requests: aNumber,
        rps: aNumber,
        official_sdk_rps: aNumber,
        ratio_vs_official_sdk: aNumber,
        fullstory_connections: aNumber,
        ssm_calls: aNumber,
      },
      backfill: {
        stripe: { customers: aNumber, customers_per_s: aNumber, fullstory_requests_per_1000: aNumber, stripe_requests_per_customer: aNumber },
        clerk: { users: aNumber, users_per_s: aNumber, fullstory_requests_per_1000: aNumber, clerk_requests_per_1000: aNumber },
      },
      cold_init_ms: { ingest: aNumber, deliver: aNumber },
      bundle_kb: { ingest: aNumber, deliver: aNumber },
    });
    // The ratios are the quotients of the numbers beside them, not separately measured values.
    expect(result.ingest.ratio_vs_stripe_construct_event).toBeCloseTo(result.ingest.us_per_event_p50 / result.ingest.stripe_construct_event_us_p50, 1);
    expect(result.deliver.ratio_vs_official_sdk).toBeCloseTo(result.deliver.rps / result.deliver.official_sdk_rps, 1);
  });
});
