import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/**
 * An API Gateway HTTP API (payload 2.0) event, as API Gateway hands it to the ingest Lambda:
 * header names lower-cased, the route's path in `rawPath`, the body as text or base64.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function apiEvent(opts: {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  base64?: boolean;
}): APIGatewayProxyEventV2 {
  const method = opts.method ?? "POST";
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: opts.path,
    rawQueryString: "",
    headers: Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method, path: opts.path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "req",
      routeKey: "$default",
      stage: "$default",
      time: "01/Jan/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
    body: body === undefined ? undefined : opts.base64 ? body.toString("base64") : body.toString("utf8"),
    isBase64Encoded: Boolean(opts.base64),
  };
}

/** The response's status and parsed JSON body. */
export function parseResponse(result: APIGatewayProxyStructuredResultV2 | string): { status: number; body: Record<string, unknown> } {
  if (typeof result === "string") throw new Error("the handler returned a bare string");
  return { status: result.statusCode ?? 0, body: JSON.parse(result.body ?? "null") };
}
