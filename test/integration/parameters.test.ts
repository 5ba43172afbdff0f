import { SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBridgeError } from "../../functions/errors";
import { createParameterStore, parameterRegion } from "../../functions/parameters";
import { startSsmFake, type SsmFake } from "../support/ssm-fake";

const NAME = "/fullstory-bridge/test/fullstory-api-key";
let ssm: SsmFake;

beforeAll(async () => {
  ssm = await startSsmFake();
});
afterAll(() => ssm.stop());

const storeOver = (opts: { ttlMs?: number; now?: () => number; maxAttempts?: number } = {}) =>
  createParameterStore({ ttlMs: opts.ttlMs ?? 60_000, now: opts.now, client: (region) => ssm.client(region, { maxAttempts: opts.maxAttempts ?? 3 }) });

/** Runs `fn` and returns what it threw. */
async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("parameter store over the SSM protocol", () => {
  it("reads a SecureString decrypted", async () => {
    ssm.set(NAME, "na1.secret-value");
    expect(await storeOver().get(NAME)).toBe("na1.secret-value");
  });

  it("serves repeated reads from its cache within the TTL", async () => {
    ssm.set(NAME, "na1.cached");
    const store = storeOver();
    const before = ssm.calls;
    for (let i = 0; i < 20; i++) expect(await store.get(NAME)).toBe("na1.cached");
    expect(ssm.calls - before).toBe(1);
  });

  it("reads again once the TTL has passed", async () => {
    let clock = 0;
    const store = storeOver({ ttlMs: 1_000, now: () => clock });
    ssm.set(NAME, "na1.first");
    await store.get(NAME);
    ssm.set(NAME, "na1.second");
    clock = 999;
    expect(await store.get(NAME)).toBe("na1.first");
    clock = 1_000;
    expect(await store.get(NAME)).toBe("na1.second");
  });

  it("shares one request among concurrent callers", async () => {
    ssm.set(NAME, "na1.shared");
    const store = storeOver();
    const before = ssm.calls;
    const values = await Promise.all(Array.from({ length: 25 }, () => store.get(NAME)));
    expect(new Set(values)).toEqual(new Set(["na1.shared"]));
    expect(ssm.calls - before).toBe(1);
  });

  it("bypasses the cache on a forced refresh and picks up a rotated value", async () => {
    ssm.set(NAME, "na1.old");
    const store = storeOver();
    await store.get(NAME);
    ssm.set(NAME, "na1.rotated");
    expect(await store.get(NAME)).toBe("na1.old");
    expect(await store.get(NAME, { forceRefresh: true })).toBe("na1.rotated");
    expect(await store.get(NAME)).toBe("na1.rotated");
  });

  it("reports a missing parameter as parameter_not_found, naming it", async () => {
    const err = await thrown(() => storeOver().get("/fullstory-bridge/test/absent"));
    expect(isBridgeError(err, "parameter_not_found")).toBe(true);
    expect((err as Error).message).toContain("/fullstory-bridge/test/absent");
    expect((err as { retryable: boolean }).retryable).toBe(false);
  });

  it("reports throttling as retryable parameter_unavailable, and recovers after it", async () => {
    ssm.set(NAME, "na1.after-throttle");
    const store = storeOver({ maxAttempts: 1 });
    ssm.throttle(1);
    const err = await thrown(() => store.get(NAME));
    expect(isBridgeError(err, "parameter_unavailable")).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect(await store.get(NAME)).toBe("na1.after-throttle");
  });

  it("keeps serving the value read last while SSM throttles a refresh, and takes the new one once it answers", async () => {
    ssm.set(NAME, "na1.first");
    let clock = 0;
    const store = createParameterStore({ ttlMs: 1_000, now: () => clock, client: (region) => ssm.client(region, { maxAttempts: 1 }) });
    expect(await store.get(NAME)).toBe("na1.first");
    ssm.set(NAME, "na1.second");
    clock = 5_000;
    ssm.throttle(2);
    expect(await store.get(NAME)).toBe("na1.first");
    expect(await store.get(NAME, { forceRefresh: true })).toBe("na1.first");
    expect(await store.get(NAME)).toBe("na1.second");
  });

  it("does not serve a value read before once the parameter is gone", async () => {
    const name = "/fullstory-bridge/test/deleted-later";
    ssm.throttle(0);
    ssm.set(name, "na1.old");
    let clock = 0;
    const store = createParameterStore({ ttlMs: 1_000, now: () => clock, client: (region) => ssm.client(region, { maxAttempts: 1 }) });
    expect(await store.get(name)).toBe("na1.old");
    ssm.remove(name);
    clock = 5_000;
    expect(isBridgeError(await thrown(() => store.get(name)), "parameter_not_found")).toBe(true);
  });

  it("reports an unreachable SSM endpoint as parameter_unavailable", async () => {
    const store = createParameterStore({ ttlMs: 1_000, client: () => ssmClientAt("http://127.0.0.1:1") });
    expect(isBridgeError(await thrown(() => store.get(NAME)), "parameter_unavailable")).toBe(true);
  });

  it("sends a full ARN to a client of the ARN's region, built once per region", async () => {
    ssm.set(NAME, "eu1.from-arn");
    const built: (string | undefined)[] = [];
    const store = createParameterStore({
      ttlMs: 0,
      client: (region) => (built.push(region), ssm.client(region ?? "us-east-1")),
    });
    const arn = `arn:aws:ssm:eu-west-1:123456789012:parameter${NAME}`;
    expect(parameterRegion(arn)).toBe("eu-west-1");
    expect(await store.get(arn)).toBe("eu1.from-arn");
    await store.get(arn);
    await store.get(NAME);
    expect(ssm.regions.slice(-3)).toEqual(["eu-west-1", "eu-west-1", "us-east-1"]);
    expect(built).toEqual(["eu-west-1", undefined]);
  });

  it("reads several parameters with one GetParameters call per region, then serves them from its cache", async () => {
    const other = "/fullstory-bridge/test/stripe-api-key";
    ssm.set(NAME, "na1.together");
    ssm.set(other, "rk_test_together");
    const arn = `arn:aws:ssm:eu-west-1:123456789012:parameter${other}`;
    const store = storeOver();
    const before = { calls: ssm.calls, batch: ssm.batchCalls };
    await store.prefetch([NAME, other, NAME]);
    expect({ calls: ssm.calls - before.calls, batch: ssm.batchCalls - before.batch }).toEqual({ calls: 1, batch: 1 });
    expect(await store.get(NAME)).toBe("na1.together");
    expect(await store.get(other)).toBe("rk_test_together");
    // An ARN of another region is read there, by its ARN.
    await store.prefetch([arn]);
    expect(ssm.regions.at(-1)).toBe("eu-west-1");
    expect(await store.get(arn)).toBe("rk_test_together");
    expect({ calls: ssm.calls - before.calls, batch: ssm.batchCalls - before.batch }).toEqual({ calls: 2, batch: 2 });
  });

  it("leaves a name GetParameters did not find to get, which names it, and never throws itself", async () => {
    const store = storeOver();
    await store.prefetch(["/fullstory-bridge/test/not-there", NAME]);
    const err = await thrown(() => store.get("/fullstory-bridge/test/not-there"));
    expect(isBridgeError(err, "parameter_not_found") && (err as Error).message).toMatch(/not-there/);
    const unreachable = createParameterStore({ ttlMs: 1_000, client: () => ssmClientAt("http://127.0.0.1:1") });
    await expect(unreachable.prefetch([NAME, "/other"])).resolves.toBeUndefined();
  });
});

function ssmClientAt(endpoint: string) {
  return new SSMClient({
    endpoint,
    region: "us-east-1",
    maxAttempts: 1,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
}
