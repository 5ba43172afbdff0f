import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createBatchFake, type BatchFake } from "./fullstory-batch-fake";

/**
 * A Fullstory V2 users and events API fake on loopback, built from Fullstory's own OpenAPI
 * descriptions (`../shared/fixtures/fullstory/users.swagger.json` and `events.swagger.json`, read
 * in place): CreateUserRequest's and CreateEventRequest's limits and the `{message, code}` error
 * examples. It upserts by uid with a last-write-wins property merge, records events, checks Basic
 * auth against a set of keys, replays idempotent requests, injects faults, and counts requests and
 * TCP connections.
 * The batch user import (`/v2/users/batch…`) is in fullstory-batch-fake.ts, over the same users.
 */

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SPEC_PATH = path.resolve(projectRoot, "../shared/fixtures/fullstory/users.swagger.json");
const EVENTS_SPEC_PATH = path.resolve(projectRoot, "../shared/fixtures/fullstory/events.swagger.json");
/** Fullstory's event-name limit, from its API requirements page (the OpenAPI file does not state it). https://help.fullstory.com/hc/en-us/articles/360020623234 */
const EVENT_NAME_MAX = 250;

interface ApiError {
  message: string;
  code: string;
}

interface Spec {
  limits: { uid: number; displayName: number; email: number; properties: number; propertyName: number; valueBytes: number };
  errors: Record<number, ApiError>;
}

type Json = Record<string, unknown>;

/** Reads the limits and error examples from the OpenAPI file; throws (naming the file) when it is absent. */
export function loadUsersSpec(): Spec {
  if (!existsSync(SPEC_PATH)) {
    throw new Error(`Fullstory OpenAPI description not found at ${SPEC_PATH}: the Fullstory fake is built from it.`);
  }
  const doc = JSON.parse(readFileSync(SPEC_PATH, "utf8")) as {
    paths: Record<string, Record<string, { responses: Record<string, { schema?: { example?: ApiError } }> }>>;
    definitions: Record<string, { properties: Record<string, { maxLength?: number; maxProperties?: number; description?: string }> }>;
  };
  const req = doc.definitions["fullstory.v2.users.CreateUserRequest"]?.properties;
  const props = req?.properties;
  const nameLength = /maximum property name length is (\d+)/.exec(props?.description ?? "")?.[1];
  const valueBytes = /maximum size of (\d+) bytes/.exec(props?.description ?? "")?.[1];
  const numbers = [req?.uid?.maxLength, req?.display_name?.maxLength, req?.email?.maxLength, props?.maxProperties, nameLength, valueBytes];
  if (numbers.some((n) => n === undefined)) throw new Error(`${SPEC_PATH} no longer describes CreateUserRequest's limits.`);
  const errors: Record<number, ApiError> = {};
  for (const [status, response] of Object.entries(doc.paths["/v2/users"]?.post?.responses ?? {})) {
    if (response.schema?.example) errors[Number(status)] = response.schema.example;
  }
  return {
    limits: {
      uid: Number(req?.uid?.maxLength),
      displayName: Number(req?.display_name?.maxLength),
      email: Number(req?.email?.maxLength),
      properties: Number(props?.maxProperties),
      propertyName: Number(nameLength),
      valueBytes: Number(valueBytes),
    },
    errors,
  };
}

/** CreateEventRequest as the events description has it: the required fields and the uid's length. */
export function loadEventsSpec(): { required: string[]; uidMaxLength: number } {
  if (!existsSync(EVENTS_SPEC_PATH)) {
    throw new Error(`Fullstory OpenAPI description not found at ${EVENTS_SPEC_PATH}: the Fullstory fake is built from it.`);
  }
  const doc = JSON.parse(readFileSync(EVENTS_SPEC_PATH, "utf8")) as {
    paths: Record<string, Record<string, unknown>>;
    definitions: Record<string, { required?: string[]; properties?: Record<string, { maxLength?: number }> }>;
  };
  const request = doc.definitions["fullstory.v2.events.CreateEventRequest"];
  const uidMaxLength = doc.definitions["fullstory.v2.events.UserIdRequest"]?.properties?.uid?.maxLength;
  if (!doc.paths["/v2/events"]?.post || !request?.required || uidMaxLength === undefined) {
    throw new Error(`${EVENTS_SPEC_PATH} no longer describes POST /v2/events and CreateEventRequest.`);
  }
  return { required: request.required, uidMaxLength };
}

/** An event the fake accepted, as it was sent. */
export interface FakeEvent {
  name: string;
  uid: string;
  timestamp?: string;
  properties: Json;
  schema?: Json;
  idempotencyKey?: string;
}

export interface FakeUser {
  id: string;
  uid: string;
  email?: string;
  display_name?: string;
  properties: Json;
  schema: Json;
}

/**
 * A fault for the next POST: an error status (optionally with Retry-After, or with an HTML page as a
 * proxy in front of the API would send instead of Fullstory's JSON error), a delay, or a reset socket.
 */
export type Fault = { status: number; retryAfterSeconds?: number; html?: true } | { delayMs: number } | { reset: true };

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  uid?: string;
  idempotencyKey?: string;
  integrationSource?: string;
  body?: Json;
  replayed: boolean;
}

export interface FullstoryFake {
  url: string;
  /** Keys accepted by Basic auth; replace its content to rotate. */
  validKeys: Set<string>;
  /** Consumed in order, one per POST. */
  faults: Fault[];
  /** Asked for a fault for each POST once `faults` is empty: random faults for soak runs. */
  faultFor?: (request: RecordedRequest) => Fault | undefined;
  /** Added to every response. */
  latencyMs: number;
  /** Current state per uid. */
  users: Map<string, FakeUser>;
  /** Events accepted by `POST /v2/events`, in order (replays not repeated). */
  events: FakeEvent[];
  /** Every request answered (reset ones included, with status 0). */
  requests: RecordedRequest[];
  /** TCP connections accepted. */
  readonly connections: number;
  /** The most TCP connections open at one time. */
  readonly maxOpenConnections: number;
  /** Forgets every saved Idempotency-Key answer, as Fullstory does after 24 hours. */
  forgetIdempotencyKeys(): void;
  /** The batch import's jobs, settings and faults. */
  batch: BatchFake;
  stop(): Promise<void>;
}

const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Starts the fake on 127.0.0.1 and an ephemeral port. */
export async function startFullstoryFake({ keys }: { keys: string[] }): Promise<FullstoryFake> {
  const spec = loadUsersSpec();
  const eventsSpec = loadEventsSpec();
  const saved = new Map<string, { bodyHash: string; status: number; body: Json }>();
  const executing = new Set<string>();
  let connections = 0;
  let open = 0;
  let maxOpen = 0;
  let nextId = 1;

  const fake: Omit<FullstoryFake, "url" | "connections" | "maxOpenConnections" | "stop" | "forgetIdempotencyKeys" | "batch"> = {
    validKeys: new Set(keys),
    faults: [],
    latencyMs: 0,
    users: new Map(),
    events: [],
    requests: [],
  };

  const specError = (status: number): ApiError => spec.errors[status] ?? { message: `HTTP ${status}`, code: `http_${status}` };

  const invalid = (message: string): ApiError => ({ message, code: "invalid_argument" });
  const checkProperties = (props: unknown): ApiError | undefined => {
    const { limits } = spec;
    if (typeof props !== "object" || props === null || Array.isArray(props)) return invalid("properties must be an object");
    if (Object.keys(props).length > limits.properties) return invalid(`more than ${limits.properties} properties`);
    const checkNames = (value: unknown, prefix: string): string | undefined => {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
      for (const [name, inner] of Object.entries(value)) {
        const dotted = prefix ? `${prefix}.${name}` : name;
        if (!PROPERTY_NAME.test(name) || dotted.length > limits.propertyName) return dotted;
        const bad = checkNames(inner, dotted);
        if (bad) return bad;
      }
      return undefined;
    };
    const badName = checkNames(props, "");
    if (badName) return invalid(`invalid property name ${badName}`);
    for (const [name, value] of Object.entries(props)) {
      if (Buffer.byteLength(JSON.stringify(value)) > limits.valueBytes) return invalid(`property ${name} is larger than ${limits.valueBytes} bytes`);
    }
    return undefined;
  };

  const validateEvent = (body: Json): ApiError | undefined => {
    for (const field of eventsSpec.required) if (body[field] === undefined) return { message: `${field} is required`, code: "required_field" };
    if (typeof body.name !== "string" || body.name === "" || body.name.length > EVENT_NAME_MAX) return invalid(`name must be 1 to ${EVENT_NAME_MAX} characters`);
    const uid = (body.user as Json | undefined)?.uid;
    if (typeof uid !== "string" || uid === "") return specError(400);
    if (uid.length > eventsSpec.uidMaxLength) return invalid(`uid is longer than ${eventsSpec.uidMaxLength} characters`);
    if (body.timestamp !== undefined && (typeof body.timestamp !== "string" || Number.isNaN(Date.parse(body.timestamp)))) return invalid("timestamp is not ISO 8601");
    return checkProperties(body.properties ?? {});
  };

  const validate = (body: Json): ApiError | undefined => {
    const { limits } = spec;
    if (typeof body.uid !== "string" || body.uid === "") return specError(400);
    if (body.uid.length > limits.uid) return invalid(`uid is longer than ${limits.uid} characters`);
    if (body.email !== undefined && (typeof body.email !== "string" || body.email.length > limits.email)) return invalid("invalid email");
    if (body.display_name !== undefined && (typeof body.display_name !== "string" || body.display_name.length > limits.displayName)) {
      return invalid("invalid display_name");
    }
    return checkProperties(body.properties ?? {});
  };

  const upsert = (body: Json, existing: FakeUser | undefined): FakeUser => {
    const user: FakeUser = existing ?? { id: String(nextId++), uid: String(body.uid), properties: {}, schema: {} };
    if (typeof body.email === "string") user.email = body.email;
    if (typeof body.display_name === "string") user.display_name = body.display_name;
    user.properties = { ...user.properties, ...(body.properties as Json | undefined) };
    user.schema = { ...user.schema, ...((body.schema as { properties?: Json } | undefined)?.properties ?? {}) };
    fake.users.set(user.uid, user);
    return user;
  };

  const batch = createBatchFake({
    validKeys: () => fake.validKeys,
    validate: (user) => validate(user),
    upsert: (user) => {
      const saved = upsert(user, fake.users.get(String(user.uid)));
      return { id: saved.id, uid: saved.uid, email: saved.email, display_name: saved.display_name, properties: saved.properties };
    },
    specError,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const record: RecordedRequest = { method: req.method ?? "", path: url.pathname, status: 0, replayed: false };
    fake.requests.push(record);
    const idemKey = header(req, "idempotency-key");
    record.idempotencyKey = idemKey;
    record.integrationSource = header(req, "integration-source");
    const send = (status: number, body: Json, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };

    if (url.pathname === "/v2/users/batch" || url.pathname.startsWith("/v2/users/batch/")) {
      if (fake.latencyMs > 0) await delay(fake.latencyMs);
      return batch.handle(req, res, raw, send);
    }
    record.body = parseObject(raw);
    const named = record.body?.uid ?? (record.body?.user as Json | undefined)?.uid;
    record.uid = typeof named === "string" ? named : undefined;

    // A request whose key another request is still executing with: 409, nothing saved for it.
    // https://developer.fullstory.com/server/idempotent-requests
    if (req.method === "POST" && idemKey) {
      if (executing.has(idemKey)) return send(409, { message: "a request with this Idempotency-Key is in progress", code: "conflict" });
      executing.add(idemKey);
      res.on("close", () => executing.delete(idemKey));
    }
    if (fake.latencyMs > 0) await delay(fake.latencyMs);
    if (req.method === "POST") {
      const fault = fake.faults.shift() ?? fake.faultFor?.(record);
      if (fault && "reset" in fault) return void req.socket.destroy();
      if (fault && "delayMs" in fault) await delay(fault.delayMs);
      if (fault && "status" in fault && fault.html) {
        record.status = fault.status;
        res.writeHead(fault.status, { "content-type": "text/html" });
        return void res.end(`<html><body><h1>${fault.status}</h1></body></html>`);
      }
      if (fault && "status" in fault) {
        const extra: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) };
        return send(fault.status, { ...specError(fault.status >= 500 ? 500 : fault.status) }, extra);
      }
    }
    const auth = /^Basic (.+)$/.exec(header(req, "authorization") ?? "")?.[1];
    if (!auth || !fake.validKeys.has(auth)) return send(401, { ...specError(401) });

    const userPath = /^\/v2\/users\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && userPath) {
      const user = [...fake.users.values()].find((u) => u.id === userPath[1]);
      if (!user) return send(404, { ...specError(404) });
      return send(200, { ...user, schema: { properties: user.schema }, is_being_deleted: false });
    }
    const isEvent = url.pathname === "/v2/events";
    if (req.method !== "POST" || (url.pathname !== "/v2/users" && !userPath && !isEvent)) return send(404, { ...specError(404) });

    const body = record.body;
    if (!body) return send(400, { message: "request body is not a JSON object", code: "invalid_argument" });

    // Same key + same body: the saved answer; same key + another body: refused. 429/5xx are not saved.
    // Auth failures never reach the endpoint, so they are not saved either.
    // https://developer.fullstory.com/server/idempotent-requests
    const bodyHash = sha256(`${req.method} ${url.pathname}\n${raw}`);
    const previous = idemKey ? saved.get(idemKey) : undefined;
    if (previous) {
      if (previous.bodyHash !== bodyHash) {
        return send(400, { message: "Idempotency-Key was used with a different request", code: "idempotency_key_reused" });
      }
      record.replayed = true;
      return send(previous.status, previous.body);
    }
    const answer = (status: number, out: Json) => {
      if (idemKey) saved.set(idemKey, { bodyHash, status, body: out });
      send(status, out);
    };

    if (isEvent) {
      const refused = validateEvent(body);
      if (refused) return answer(400, { ...refused });
      const event: FakeEvent = { name: String(body.name), uid: String((body.user as Json).uid), properties: (body.properties as Json | undefined) ?? {} };
      if (typeof body.timestamp === "string") event.timestamp = body.timestamp;
      if (body.schema !== undefined) event.schema = body.schema as Json;
      if (idemKey) event.idempotencyKey = idemKey;
      fake.events.push(event);
      // CreateEventResponse is an empty object.
      return answer(200, {});
    }
    const refused = validate(body);
    if (refused) return answer(400, { ...refused });
    if (userPath) {
      const existing = [...fake.users.values()].find((u) => u.id === userPath[1]);
      if (!existing) return answer(404, { ...specError(404) });
      if (existing.uid !== body.uid) return answer(400, { message: "uid cannot be changed", code: "invalid_argument" });
      return answer(200, { id: upsert(body, existing).id });
    }
    return answer(200, { id: upsert(body, fake.users.get(String(body.uid))).id });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  server.on("connection", (socket) => {
    connections++;
    maxOpen = Math.max(maxOpen, ++open);
    socket.on("close", () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  return Object.defineProperties(fake as FullstoryFake, {
    batch: { value: batch.batch },
    url: { value: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
    connections: { get: () => connections },
    maxOpenConnections: { get: () => maxOpen },
    forgetIdempotencyKeys: { value: () => saved.clear() },
    stop: {
      value: () =>
        new Promise<void>((resolve, reject) => {
          server.closeAllConnections();
          server.close((err) => (err ? reject(err) : resolve()));
        }),
    },
  });
}

function parseObject(raw: string): Json | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
