/**
 * A recording stand-in for the SST globals that `sst.config.ts` and `stacks/` use, so their wiring
 * can be tested without the SST CLI (which downloads its engine and needs an AWS account).
 *
 * What it does: records every `new sst.aws.*` / `new aws.*` construction and every `subscribe` and
 * `route` call with its arguments, exactly as the stack code passed them; hands back opaque
 * outputs naming what they stand for (`<Queue.arn>`, `<region>`, `<kms-key alias/aws/ssm>`) that
 * refuse string conversion, as Pulumi's Outputs do outside `$interpolate`; refuses two resources
 * of one kind with the same name.
 *
 * What it does NOT check: what SST and Pulumi make of those arguments (defaults, merged
 * permissions, generated names, the IAM policy documents), whether AWS accepts the result, and
 * whether the handler paths bundle. Those need `sst deploy` against a real account.
 *
 * The ambient declarations below are the minimal subset of SST's platform types
 * (`.sst/platform/config.d.ts`) the stacks use, so the root tsconfig can type-check `stacks/`;
 * `stacks/tsconfig.json` checks the same code against the real types where they are installed.
 */

declare global {
  namespace $util {
    /** Opaque, like Pulumi's Output: stack code can only pass it on or interpolate it. */
    interface Output<T> {
      readonly __output: T;
    }
    type Input<T> = T | Output<T>;
  }

  var $app: { readonly name: string; readonly stage: string };
  function $interpolate(literals: TemplateStringsArray, ...placeholders: unknown[]): $util.Output<string>;

  namespace sst.aws {
    interface FunctionPermissionArgs {
      actions: string[];
      resources: $util.Input<$util.Input<string>[]>;
      conditions?: { test: string; variable: string; values: $util.Input<string>[] }[];
    }
    interface FunctionArgs {
      handler: string;
      runtime?: "nodejs20.x" | "nodejs22.x";
      architecture?: "x86_64" | "arm64";
      memory?: `${number} MB` | `${number} GB`;
      timeout?: `${number} second` | `${number} seconds` | `${number} minute` | `${number} minutes`;
      environment?: Record<string, $util.Input<string>>;
      permissions?: FunctionPermissionArgs[];
    }
    class Function {
      constructor(name: string, args: FunctionArgs);
      readonly arn: $util.Output<string>;
    }
    interface QueueArgs {
      fifo?: boolean | { contentBasedDeduplication?: boolean };
      visibilityTimeout?: `${number} second` | `${number} seconds` | `${number} minute` | `${number} minutes`;
      dlq?: $util.Input<string> | { queue: $util.Input<string>; retry: number };
      transform?: { queue?: { messageRetentionSeconds?: number } };
    }
    class Queue {
      constructor(name: string, args?: QueueArgs);
      readonly arn: $util.Output<string>;
      readonly url: $util.Output<string>;
      readonly nodes: { readonly queue: { readonly name: $util.Output<string> } };
      subscribe(
        subscriber: $util.Input<string | FunctionArgs>,
        args?: { batch?: { size?: number; partialResponses?: boolean } },
      ): unknown;
    }
    class ApiGatewayV2 {
      constructor(name: string, args?: { cors?: boolean });
      readonly url: $util.Output<string>;
      route(rawRoute: string, handler: $util.Input<string | FunctionArgs>): unknown;
    }
  }

  namespace aws {
    function getPartitionOutput(): { partition: $util.Output<string> };
    function getRegionOutput(): { region: $util.Output<string> };
    function getCallerIdentityOutput(): { accountId: $util.Output<string> };
    namespace kms {
      function getKeyOutput(args: { keyId: $util.Input<string> }): { arn: $util.Output<string> };
    }
    namespace cloudwatch {
      interface MetricAlarmArgs {
        name?: string;
        alarmDescription?: string;
        namespace: string;
        metricName: string;
        dimensions: Record<string, $util.Input<string>>;
        statistic: "Maximum" | "Minimum" | "Average" | "Sum" | "SampleCount";
        period: number;
        evaluationPeriods: number;
        threshold: number;
        comparisonOperator: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";
        treatMissingData?: "missing" | "ignore" | "breaching" | "notBreaching";
        alarmActions?: $util.Input<string>[];
        okActions?: $util.Input<string>[];
      }
      class MetricAlarm {
        constructor(name: string, args: MetricAlarmArgs);
      }
    }
  }
}

/** An output of the stand-in: `text` names what it stands for, e.g. `<Queue.arn>`. */
export class StandInOutput {
  constructor(readonly text: string) {}
  toString(): string {
    throw new Error(`${this.text} is an Output: use $interpolate, as Pulumi requires`);
  }
}

/** One recorded call: `kind` is the global's path (`sst.aws.Queue`, `sst.aws.Queue.subscribe`, …). */
export interface Recorded {
  kind: string;
  name: string;
  args: unknown;
}

export interface StandIn {
  records: Recorded[];
  /** Puts back whatever the globals were before installing. */
  restore(): void;
}

const out = (text: string) => new StandInOutput(text);
const GLOBALS = ["$app", "$interpolate", "$config", "sst", "aws"] as const;

/**
 * Installs the stand-in on globalThis for `stage` and returns its record list. `$config` is the
 * identity, so `sst.config.ts` can be imported and its `app()` / `run()` called directly.
 */
export function installSstStandIn(stage: string): StandIn {
  const records: Recorded[] = [];
  const names = new Set<string>();
  const call = (kind: string, name: string, args: unknown) => records.push({ kind, name, args });
  const declare = (kind: string, name: string, args: unknown) => {
    // Pulumi refuses two resources of one type with the same name.
    if (names.has(`${kind} ${name}`)) throw new Error(`duplicate ${kind} "${name}"`);
    names.add(`${kind} ${name}`);
    call(kind, name, args);
  };

  class Function {
    readonly arn: StandInOutput;
    constructor(name: string, args: unknown) {
      declare("sst.aws.Function", name, args);
      this.arn = out(`<${name}.arn>`);
    }
  }
  class Queue {
    readonly arn: StandInOutput;
    readonly url: StandInOutput;
    readonly nodes: { queue: { name: StandInOutput } };
    constructor(
      private readonly name: string,
      args: unknown = {},
    ) {
      declare("sst.aws.Queue", name, args);
      this.arn = out(`<${name}.arn>`);
      this.url = out(`<${name}.url>`);
      this.nodes = { queue: { name: out(`<${name}.name>`) } };
    }
    subscribe(subscriber: unknown, args: object = {}) {
      call("sst.aws.Queue.subscribe", this.name, { subscriber, ...args });
    }
  }
  class ApiGatewayV2 {
    readonly url: StandInOutput;
    constructor(
      private readonly name: string,
      args: unknown = {},
    ) {
      declare("sst.aws.ApiGatewayV2", name, args);
      this.url = out(`<${name}.url>`);
    }
    route(rawRoute: string, handler: unknown) {
      call("sst.aws.ApiGatewayV2.route", this.name, { route: rawRoute, handler });
    }
  }
  class MetricAlarm {
    constructor(name: string, args: unknown) {
      declare("aws.cloudwatch.MetricAlarm", name, args);
    }
  }

  const standIn: Record<(typeof GLOBALS)[number], unknown> = {
    $app: { name: "fullstory-webhook-bridge", stage },
    $interpolate: (literals: TemplateStringsArray, ...placeholders: unknown[]) =>
      out(literals.reduce((text, literal, i) => text + literal + (i < placeholders.length ? textOf(placeholders[i]) : ""), "")),
    $config: (config: unknown) => config,
    sst: { aws: { Function, Queue, ApiGatewayV2 } },
    aws: {
      getPartitionOutput: () => ({ partition: out("<partition>") }),
      getRegionOutput: () => ({ region: out("<region>") }),
      getCallerIdentityOutput: () => ({ accountId: out("<account>") }),
      kms: { getKeyOutput: ({ keyId }: { keyId: unknown }) => ({ arn: out(`<kms-key ${textOf(keyId)}>`) }) },
      cloudwatch: { MetricAlarm },
    },
  };

  const g = globalThis as Record<string, unknown>;
  const before = Object.fromEntries(GLOBALS.map((k) => [k, g[k]]));
  Object.assign(g, standIn);
  return {
    records,
    restore: () => {
      for (const k of GLOBALS) {
        if (before[k] === undefined) delete g[k];
        else g[k] = before[k];
      }
    },
  };
}

function textOf(value: unknown): string {
  return value instanceof StandInOutput ? value.text : String(value);
}

/** `value` with every output replaced by its text, for plain deep-equality assertions. */
export function rendered(value: unknown): unknown {
  if (value instanceof StandInOutput) return value.text;
  if (Array.isArray(value)) return value.map(rendered);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rendered(v)]));
  }
  return value;
}
