import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SSMClient } from "@aws-sdk/client-ssm";

/**
 * A small SSM Parameter Store fake speaking AWS JSON 1.1, as the real `@aws-sdk/client-ssm` does:
 * `POST /` with `X-Amz-Target: AmazonSSM.GetParameter` (or `GetParameters`, up to 10 names, the
 * unknown ones listed as `InvalidParameters`) and `application/x-amz-json-1.1`; errors are
 * `{"__type": …, "message": …}` with HTTP 400; `LastModifiedDate` is epoch seconds.
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html
 */
export interface SsmFake {
  endpoint: string;
  /** A real SSM client for this fake; `region` is what it signs with (the fake records it). */
  client(region?: string, opts?: { maxAttempts?: number }): SSMClient;
  /** Creates the parameter, or rotates it (a new version). */
  set(name: string, value: string): void;
  /** Deletes the parameter: later reads answer ParameterNotFound. */
  remove(name: string): void;
  /** The next `n` GetParameter calls answer ThrottlingException. */
  throttle(n: number): void;
  /** Besides `throttle`, each GetParameter call for which `decide()` is true answers ThrottlingException. */
  throttleWhen(decide: (() => boolean) | undefined): void;
  /** GetParameter and GetParameters calls received, throttled ones included. */
  readonly calls: number;
  /** Of those, GetParameters calls. */
  readonly batchCalls: number;
  /** GetParameter calls answered ThrottlingException. */
  readonly throttledCalls: number;
  /** The region each call was signed for, in order. */
  readonly regions: string[];
  stop(): Promise<void>;
}

const ACCOUNT = "123456789012";

interface Stored {
  value: string;
  version: number;
  modified: number;
}

/** Starts the SSM fake on 127.0.0.1 and an ephemeral port, with no parameters; the caller stops it. */
export async function startSsmFake(): Promise<SsmFake> {
  const params = new Map<string, Stored>();
  const regions: string[] = [];
  let calls = 0;
  let batchCalls = 0;
  let throttled = 0;
  let throttledCalls = 0;
  let throttleDecider: (() => boolean) | undefined;

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, type: string, message: string) => reply(res, 400, { __type: type, message });

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const target = req.headers["x-amz-target"];
    if (req.method !== "POST" || req.headers["content-type"] !== "application/x-amz-json-1.1") {
      return error(res, "InvalidAction", "Expected an AWS JSON 1.1 POST.");
    }
    if (target !== "AmazonSSM.GetParameter" && target !== "AmazonSSM.GetParameters") return error(res, "InvalidAction", `${String(target)} is not supported by this fake.`);
    calls++;
    if (target === "AmazonSSM.GetParameters") batchCalls++;
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\/ssm\//.exec(req.headers.authorization ?? "")?.[1] ?? "unsigned";
    regions.push(region);
    const decided = throttled === 0 && throttleDecider?.() === true;
    if (throttled > 0 || decided) {
      if (!decided) throttled--;
      throttledCalls++;
      return error(res, "ThrottlingException", "Rate exceeded");
    }
    const input = JSON.parse(raw) as { Name?: string; Names?: string[]; WithDecryption?: boolean };
    const nameOf = (requested: string) => (requested.startsWith("arn:") ? requested.slice(requested.indexOf(":parameter") + ":parameter".length) : requested);
    const parameter = (requested: string, stored: Stored) => ({
      // SSM names a parameter asked for by ARN with its ARN, one asked for by name with its name.
      Name: requested.startsWith("arn:") ? requested : nameOf(requested),
      Type: "SecureString",
      // Without WithDecryption a SecureString comes back as ciphertext.
      Value: input.WithDecryption ? stored.value : Buffer.from(`kms:${stored.value}`).toString("base64"),
      Version: stored.version,
      LastModifiedDate: stored.modified,
      ARN: `arn:aws:ssm:${region}:${ACCOUNT}:parameter${nameOf(requested)}`,
      DataType: "text",
    });
    if (target === "AmazonSSM.GetParameters") {
      const names = input.Names ?? [];
      if (names.length === 0 || names.length > 10) return error(res, "ValidationException", "Names must hold 1 to 10 names.");
      const found = names.flatMap((n) => {
        const stored = params.get(nameOf(n));
        return stored ? [parameter(n, stored)] : [];
      });
      return reply(res, 200, { Parameters: found, InvalidParameters: names.filter((n) => !params.has(nameOf(n))) });
    }
    const requested = input.Name ?? "";
    const stored = params.get(nameOf(requested));
    if (!stored) return error(res, "ParameterNotFound", `Parameter ${requested} not found.`);
    reply(res, 200, { Parameter: { ...parameter(requested, stored), Name: nameOf(requested) } });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    client: (region = "us-east-1", opts = {}) =>
      new SSMClient({ endpoint, region, credentials: { accessKeyId: "test", secretAccessKey: "test" }, ...opts }),
    set(name, value) {
      const version = (params.get(name)?.version ?? 0) + 1;
      params.set(name, { value, version, modified: Math.floor(Date.now() / 1000) });
    },
    remove: (name) => void params.delete(name),
    throttle: (n) => void (throttled = n),
    throttleWhen: (decide) => void (throttleDecider = decide),
    get calls() {
      return calls;
    },
    get batchCalls() {
      return batchCalls;
    },
    get throttledCalls() {
      return throttledCalls;
    },
    regions,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
