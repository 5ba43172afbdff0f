import { afterEach, describe, expect, it } from "vitest";
import { bridge } from "../../stacks";
import { stageSettings } from "../../stacks/settings";
import { installSstStandIn, rendered, type StandIn } from "../support/sst-stand-in";

/**
 * Least privilege beyond what test/unit/stacks-wiring.test.ts pins (the exact grants of each
 * function, no wildcards, kms:Decrypt only via SSM): nothing in the stack widens them another way.
 */
let standIn: StandIn | undefined;
afterEach(() => {
  standIn?.restore();
  standIn = undefined;
});

function declared(stage: string) {
  standIn = installSstStandIn(stage);
  bridge(stageSettings(stage, {}));
  return standIn.records.map((r) => ({ kind: r.kind, name: r.name, args: rendered(r.args) as Record<string, unknown> }));
}

describe("least privilege in stacks/", () => {
  it("declares only the bridge's own resources: no IAM role, policy or function URL of its own", () => {
    const kinds = new Set(declared("production").map((r) => r.kind));
    expect([...kinds].sort()).toEqual(
      ["aws.cloudwatch.MetricAlarm", "sst.aws.ApiGatewayV2", "sst.aws.ApiGatewayV2.route", "sst.aws.Function", "sst.aws.Queue", "sst.aws.Queue.subscribe"].sort(),
    );
  });

  it("gives no function `link` (which grants sqs:* on a queue), a URL of its own, or a permission outside `permissions`", () => {
    for (const fn of declared("production").filter((r) => r.kind === "sst.aws.Function")) {
      expect(Object.keys(fn.args).sort(), fn.name).toEqual(["architecture", "environment", "handler", "memory", "permissions", "runtime", "timeout"]);
    }
  });

  it("keeps the Fullstory key away from ingest and the webhook secrets away from deliver", () => {
    const functions = declared("production").filter((r) => r.kind === "sst.aws.Function");
    const resources = (name: string) =>
      (functions.find((f) => f.name === name)?.args.permissions as { resources: string[] }[]).flatMap((p) => p.resources).join(" ");
    expect(resources("Ingest")).not.toContain("fullstory-api-key");
    expect(resources("Deliver")).not.toContain("webhook-secret");
    const env = (name: string) => functions.find((f) => f.name === name)?.args.environment as Record<string, string>;
    expect(Object.keys(env("Ingest")).filter((k) => k.startsWith("FULLSTORY_API_KEY"))).toEqual([]);
    expect(Object.keys(env("Deliver")).filter((k) => k.includes("WEBHOOK_SECRET"))).toEqual([]);
    // Secrets travel as parameter names, never as values in the environment.
    for (const f of functions) for (const k of Object.keys(f.args.environment as object)) expect(k).not.toMatch(/^(FULLSTORY_API_KEY|[A-Z]+_WEBHOOK_SECRET)$/);
  });
});
