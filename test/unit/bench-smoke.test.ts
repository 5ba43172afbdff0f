import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

/** Every field the benchmark issues name must be a number; the timings themselves are not asserted. */
const aNumber = expect.any(Number);

/** What each burst reports, in API mode and in webhook mode alike. */
const burstFields = {
  events: aNumber,
  users: aNumber,
  fullstory_requests_per_event: aNumber,
  ssm_calls: aNumber,
  seconds_to_drain: aNumber,
  p99_webhook_to_fullstory_ms: aNumber,
  usage: {
    api_requests: aNumber,
    ingest_invocations: aNumber,
    ingest_billed_ms: aNumber,
    deliver_invocations: aNumber,
    deliver_billed_ms: aNumber,
    sqs_requests: aNumber,
    dynamo_read_units: aNumber,
    dynamo_write_units: aNumber,
    ssm_calls: aNumber,
    log_bytes: aNumber,
  },
};

const costFields = { usd_per_million_events: aNumber, api_gateway: aNumber, lambda_requests: aNumber, lambda_duration: aNumber, sqs: aNumber, dynamodb: aNumber, ssm_kms: aNumber, cloudwatch_logs: aNumber };

describe("npm run bench -- --quick --json", () => {
  it("ends with one JSON line carrying every reported field, and exits by itself", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "bench/run.ts", "--quick", "--json"], {
      cwd: projectRoot,
      // Seconds on an idle machine; a loaded one (tests running beside it) may take several times that.
      timeout: 55_000,
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
        sdk_handler_rps: aNumber,
        ratio_vs_sdk_handler: aNumber,
        official_sdk_rps: aNumber,
        ratio_vs_official_sdk: aNumber,
        fullstory_connections: aNumber,
        sdk_handler_connections: aNumber,
        ssm_calls: aNumber,
        state_calls_per_batch: aNumber,
      },
      backfill: {
        stripe: { customers: aNumber, customers_per_s: aNumber, fullstory_requests_per_1000: aNumber, stripe_requests_per_customer: aNumber },
        clerk: { users: aNumber, users_per_s: aNumber, fullstory_requests_per_1000: aNumber, clerk_requests_per_1000: aNumber },
      },
      burst: { ...burstFields, stripe_api_calls_per_event: aNumber },
      burst_webhook_mode: burstFields,
      cost: { ...costFields, webhook_mode: costFields, memory_mb: aNumber, prices_as_of: expect.any(String) },
      cold_init_ms: { ingest: aNumber, deliver: aNumber },
      bundle_kb: { ingest: aNumber, deliver: aNumber },
    });
    // Webhook mode has no Stripe key, so no Stripe calls to report.
    expect(result.burst_webhook_mode).not.toHaveProperty("stripe_api_calls_per_event");
    // The ratios are the quotients of the numbers beside them, not separately measured values.
    expect(result.ingest.ratio_vs_stripe_construct_event).toBeCloseTo(result.ingest.us_per_event_p50 / result.ingest.stripe_construct_event_us_p50, 1);
    expect(result.deliver.ratio_vs_official_sdk).toBeCloseTo(result.deliver.rps / result.deliver.official_sdk_rps, 1);
    expect(result.deliver.ratio_vs_sdk_handler).toBeCloseTo(result.deliver.rps / result.deliver.sdk_handler_rps, 1);
  }, 60_000);
});
