import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from "aws-lambda";
import type { Logger } from "../functions/log";

/** The deployed ingest handler's shape (`createIngestHandler(...)`), which local mode runs unchanged. */
export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

export interface LocalServerOptions {
  handler: HttpApiHandler;
  /** Bytes kept of a body: one more than the limit, so the handler still sees it is too large and answers 413. */
  maxBodyBytes: number;
  log: Logger;
  /** What `GET /healthz?details` adds to `{"status":"ok"}`: counts only (see local/status.ts). */
  details?: () => Promise<object>;
}

/**
 * API Gateway HTTP API payload v2 merges repeated headers into one, comma-separated, and presents
 * names in lower case. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]},${value}` : value;
  }
  return headers;
}

/**
 * Reads at most `limit` bytes of the body. Past that it stops keeping data (the rest is discarded
 * as it arrives, never buffered) and reports `truncated`, so an oversized upload costs no memory.
 */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    const onData = (chunk: Buffer) => {
      const room = limit - kept;
      chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk);
      kept += Math.min(chunk.byteLength, room);
      if (kept >= limit) {
        req.off("data", onData);
        req.off("end", onEnd);
        req.resume();
        resolve({ body: Buffer.concat(chunks), truncated: true });
      }
    };
    const onEnd = () => resolve({ body: Buffer.concat(chunks), truncated: false });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", reject);
  });
}

/** Builds the API Gateway HTTP API (payload v2) event for a request, with the body as base64 so its bytes are exact. */
export function toHttpApiEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? "/", "http://localhost");
  const rawQueryString = url.search.startsWith("?") ? url.search.slice(1) : "";
  const method = req.method ?? "GET";
  const now = Date.now();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString,
    headers: headersOf(req),
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: req.headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? "",
        userAgent: req.headers["user-agent"] ?? "",
      },
      requestId: `local-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      routeKey: "$default",
      stage: "$default",
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: body.toString("base64"),
    isBase64Encoded: true,
  };
}

function send(res: ServerResponse, result: APIGatewayProxyResultV2, close: boolean): void {
  const structured = typeof result === "string" ? { statusCode: 200, body: result } : result;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name] = String(value);
  // After a cut-off body the rest of the upload is not wanted: close instead of draining for keep-alive.
  if (close) headers.connection = "close";
  const body = structured.body === undefined ? "" : Buffer.from(structured.body, structured.isBase64Encoded ? "base64" : "utf8");
  res.writeHead(structured.statusCode ?? 200, headers);
  res.end(body);
}

/**
 * A plain Node HTTP server in front of the deployed ingest handler: each request becomes the
 * payload v2 event API Gateway would build, and the handler's result becomes the response. Nothing
 * a client sends can crash it: an aborted upload is dropped, an unexpected failure answers 503
 * (per the HTTP contract, the only 5xx), and malformed requests get Node's own 400.
 */
export function createLocalServer({ handler, maxBodyBytes, log, details }: LocalServerOptions): Server {
  return createServer((req, res) => {
    void (async () => {
      if (details && req.method === "GET" && isDetailsRequest(req.url)) {
        try {
          const body = JSON.stringify({ status: "ok", ...(await details()) });
          res.writeHead(200, { "content-type": "application/json" });
          res.end(body);
        } catch {
          res.writeHead(503, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "temporarily_unavailable" }));
        }
        return;
      }
      let read: { body: Buffer; truncated: boolean };
      try {
        read = await readBody(req, maxBodyBytes + 1);
      } catch {
        return; // The client went away mid-upload: there is no one to answer.
      }
      try {
        send(res, await handler(toHttpApiEvent(req, read.body)), read.truncated);
      } catch (err) {
        log.error("local server failed to answer", { error: err instanceof Error ? err.name : typeof err });
        if (!res.headersSent) send(res, { statusCode: 503, body: JSON.stringify({ error: "temporarily_unavailable" }) }, true);
        else res.destroy();
      }
    })();
  });
}

/** Starts listening and resolves with the bound address (port 0 picks a free port). */
export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** `GET /healthz?details` (local mode only; the deployed `/healthz` answers `{"status":"ok"}` whatever the query). */
function isDetailsRequest(url: string | undefined): boolean {
  const parsed = new URL(url ?? "/", "http://localhost");
  return parsed.pathname === "/healthz" && parsed.searchParams.has("details");
}
