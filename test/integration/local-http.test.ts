import { request, type Server } from "node:http";
import { connect } from "node:net";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config";
import { createIngestHandler } from "../../functions/ingest";
import { createLogger } from "../../functions/log";
import { createSecretsReader } from "../../functions/secrets";
import { createLocalServer, listen, type HttpApiHandler } from "../../local/http";

const quiet = createLogger(() => {});
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function start(handler: HttpApiHandler, maxBodyBytes = 1024): Promise<number> {
  server = createLocalServer({ handler, maxBodyBytes, log: quiet });
  return (await listen(server, "127.0.0.1", 0)).port;
}

interface Answer {
  status: number;
  body: string;
}

/** A raw request with exact bytes and repeated headers (fetch would merge or refuse them). */
function send(port: number, opts: { method?: string; path: string; headers?: [string, string][]; body?: Buffer }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: opts.method ?? "POST", path: opts.path, headers: [["Host", `127.0.0.1:${port}`], ...(opts.headers ?? [])].flat() });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    // The server may close while a large upload is still being written: the answer already came.
    req.on("error", (err) => (req.writableFinished ? undefined : reject(err)));
    req.end(opts.body);
  });
}

const ok: HttpApiHandler = async () => ({ statusCode: 200, body: "{}" });

describe("local HTTP adapter", () => {
  it("builds the API Gateway v2 event: exact body bytes, lower-cased names, repeated headers joined by commas", async () => {
    let seen: APIGatewayProxyEventV2 | undefined;
    const port = await start(async (event) => {
      seen = event;
      return { statusCode: 202, headers: { "content-type": "application/json" }, body: '{"status":"accepted"}' };
    });
    const bytes = Buffer.from([0x7b, 0xff, 0x00, 0xc3, 0x28, 0x7d]);
    const answer = await send(port, {
      path: "/webhooks/stripe?x=1&y=2",
      headers: [["X-Dup", "a"], ["x-dup", "b"], ["Stripe-Signature", "t=1,v1=ab"], ["Constructor", "c"]],
      body: bytes,
    });
    expect(answer).toEqual({ status: 202, body: '{"status":"accepted"}' });
    expect(seen).toMatchObject({
      version: "2.0",
      routeKey: "$default",
      rawPath: "/webhooks/stripe",
      rawQueryString: "x=1&y=2",
      isBase64Encoded: true,
      requestContext: { http: { method: "POST", path: "/webhooks/stripe", sourceIp: "127.0.0.1" } },
    });
    expect(seen?.headers["x-dup"]).toBe("a,b");
    expect(seen?.headers["stripe-signature"]).toBe("t=1,v1=ab");
    // A header named like an Object.prototype member is a header like any other.
    expect(seen?.headers["constructor"]).toBe("c");
    expect(Buffer.from(seen?.body ?? "", "base64").equals(bytes)).toBe(true);
  });

  it("answers 413 through the ingest handler and keeps no more than the limit plus one byte of a large body", async () => {
    const config = { ...loadConfig({ STRIPE_WEBHOOK_SECRET: "whsec_test" }), maxBodyBytes: 1024 };
    const ingest = createIngestHandler(() => ({
      config,
      queue: { send: async () => {}, deadLetter: async () => {} },
      secrets: createSecretsReader(config, { get: async () => "" }),
      log: quiet,
    }));
    let kept = -1;
    const port = await start(async (event) => {
      kept = Buffer.from(event.body ?? "", "base64").byteLength;
      return ingest(event);
    }, config.maxBodyBytes);
    const answer = await send(port, { path: "/webhooks/stripe", body: Buffer.alloc(8 * 1024 * 1024, 0x61) });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ error: "payload_too_large", limit_bytes: 1024 });
    expect(kept).toBe(1025);
  });

  it("answers 503, the contract's only 5xx, when the handler throws", async () => {
    const port = await start(async () => {
      throw new Error("boom");
    });
    expect((await send(port, { path: "/webhooks/stripe", body: Buffer.from("{}") })).status).toBe(503);
  });

  it("keeps serving after an aborted upload and a request with a method HTTP does not know", async () => {
    const port = await start(ok);
    await new Promise<void>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.write("POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial");
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    const garbled = await new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => socket.write("FROB / HTTP/1.1\r\nHost: x\r\n\r\n"));
      let text = "";
      socket.on("data", (d) => (text += d.toString()));
      socket.on("close", () => resolve(text));
    });
    expect(garbled).toMatch(/^HTTP\/1\.1 400/);
    expect((await send(port, { method: "GET", path: "/healthz" })).status).toBe(200);
  });
});
