import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The Fullstory fake's batch user import (test/support/fullstory-fake.ts routes `/v2/users/batch…`
 * here), with the shapes of Fullstory's OpenAPI description (users.swagger.json:
 * CreateBatchUserImportJobRequest/Response, JobStatusResponse with PROCESSING, COMPLETED and FAILED,
 * GetBatchUserImportErrorsResponse and GetBatchUserImportsResponse, paged by `page_token`, 202
 * while the job is processing) and the limits of its documentation: 50 000 users a job, 100 jobs
 * running at once (later ones wait), 429 with Retry-After past 200 jobs or 500 000 users in
 * progress. https://developer.fullstory.com/server/users/create-batch-user-import-job/
 *
 * A job finishes on its `pollsToFinish`-th status poll: each user is checked as a single upsert
 * is (the fake's own validation) and by `reject`, then upserted into the fake's users, or listed
 * under `/errors`; the job is COMPLETED when none failed, FAILED otherwise (partial failures
 * included). Job creation honours Idempotency-Key like the rest of the fake.
 */

type Json = Record<string, unknown>;
export interface ApiError {
  message: string;
  code: string;
}

export interface FakeJob {
  id: string;
  created: string;
  finished?: string;
  status: "PROCESSING" | "COMPLETED" | "FAILED";
  requests: Json[];
  /** Status polls answered while it ran. */
  polls: number;
  imported: Json[];
  errors: { message: string; code: string; user: Json }[];
}

/**
 * A fault for the next batch request: an error status (with Retry-After), an answer held back
 * for `delayMs` after the work is done (a created job whose answer comes late), a socket reset
 * before anything is done, or a lost answer (the work is done, then the socket is reset).
 */
export type BatchFault = { status: number; retryAfterSeconds?: number } | { delayMs: number } | { reset: true } | { lostAnswer: true };

export interface BatchFake {
  /** Every job, in creation order. */
  jobs: Map<string, FakeJob>;
  /** Status polls a running job takes to finish. */
  pollsToFinish: number;
  /** A user the import rejects, and why (besides the checks of a single upsert). */
  reject?: (user: Json) => ApiError | undefined;
  /** Consumed in order, one per batch request. */
  faults: BatchFault[];
  /** Rejected users per `/errors` page. */
  errorsPageSize: number;
  /** Fullstory's documented limits; tests lower them to reach them. */
  limits: { usersPerJob: number; running: number; inProgress: number; operations: number };
  /** Retry-After of the 429 a limit causes. */
  limitRetryAfterSeconds: number;
}

export interface BatchDeps {
  validKeys: () => Set<string>;
  /** A user checked as `POST /v2/users` checks it: the error, or undefined. */
  validate: (user: Json) => ApiError | undefined;
  /** Upserts one user into the fake's users; resolves with it as Fullstory returns it. */
  upsert: (user: Json) => Json;
  specError: (status: number) => ApiError;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Creates the batch side of the fake; `handle` answers one request under `/v2/users/batch`. */
export function createBatchFake(deps: BatchDeps) {
  const batch: BatchFake = {
    jobs: new Map(),
    pollsToFinish: 2,
    faults: [],
    errorsPageSize: 100,
    limits: { usersPerJob: 50_000, running: 100, inProgress: 200, operations: 500_000 },
    limitRetryAfterSeconds: 1,
  };
  const saved = new Map<string, { bodyHash: string; status: number; body: Json }>();
  const executing = new Set<string>();
  let nextId = 1;

  const processing = () => [...batch.jobs.values()].filter((j) => j.status === "PROCESSING");
  /** Only the first `running` jobs in progress advance; the others wait their turn. */
  const isRunning = (job: FakeJob) => processing().indexOf(job) < batch.limits.running;

  const finish = (job: FakeJob) => {
    for (const user of job.requests) {
      const error = deps.validate(user) ?? batch.reject?.(user);
      if (error) job.errors.push({ message: error.message, code: error.code, user });
      else job.imported.push(deps.upsert(user));
    }
    job.status = job.errors.length > 0 ? "FAILED" : "COMPLETED";
    job.finished = new Date().toISOString();
  };
  const metadata = (job: FakeJob) => ({ id: job.id, status: job.status, created: job.created, ...(job.finished ? { finished: job.finished } : {}) });
  const page = (items: Json[], token: string | null) => {
    const start = token ? Number(token) : 0;
    const end = start + batch.errorsPageSize;
    return { results: items.slice(start, end), total_records: String(items.length), ...(end < items.length ? { next_page_token: String(end) } : {}) };
  };

  /** Answers `req` (already read into `raw`); `send` writes the JSON answer and records its status. */
  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string, send: (status: number, body: Json, headers?: Record<string, string>) => void) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const fault = batch.faults.shift();
    if (fault && "reset" in fault) return void req.socket.destroy();
    if (fault && "status" in fault) {
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) };
      return send(fault.status, { ...deps.specError(fault.status >= 500 ? 500 : fault.status) }, headers);
    }
    const answer = async (status: number, body: Json, headers: Record<string, string> = {}) => {
      if (fault && "lostAnswer" in fault) return void req.socket.destroy();
      if (fault && "delayMs" in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      send(status, body, headers);
    };
    const auth = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    if (!auth || !deps.validKeys().has(auth)) return send(401, { ...deps.specError(401) });

    const m = /^\/v2\/users\/batch(?:\/([^/]+)(\/errors|\/imports)?)?$/.exec(url.pathname);
    if (!m) return send(404, { ...deps.specError(404) });
    const [, jobId, sub] = m;

    if (req.method === "POST" && !jobId) {
      const key = typeof req.headers["idempotency-key"] === "string" ? req.headers["idempotency-key"] : undefined;
      if (key && executing.has(key)) return send(409, { message: "a request with this Idempotency-Key is in progress", code: "conflict" });
      const bodyHash = sha256(raw);
      const previous = key ? saved.get(key) : undefined;
      if (previous) {
        if (previous.bodyHash !== bodyHash) return send(400, { message: "Idempotency-Key was used with a different request", code: "idempotency_key_reused" });
        return answer(previous.status, previous.body, { "idempotent-replayed": "true" });
      }
      let body: { requests?: unknown };
      try {
        body = JSON.parse(raw) as { requests?: unknown };
      } catch {
        return send(400, { message: "request body is not JSON", code: "invalid_argument" });
      }
      if (!Array.isArray(body.requests) || body.requests.length === 0) return send(400, { ...deps.specError(400) });
      if (body.requests.length > batch.limits.usersPerJob) {
        return send(400, { message: `at most ${batch.limits.usersPerJob} requests per batch`, code: "invalid_argument" });
      }
      const inProgress = processing();
      const operations = inProgress.reduce((n, j) => n + j.requests.length, 0);
      if (inProgress.length >= batch.limits.inProgress || operations + body.requests.length > batch.limits.operations) {
        return send(429, { ...deps.specError(429) }, { "retry-after": String(batch.limitRetryAfterSeconds) });
      }
      const job: FakeJob = {
        id: `job_${nextId++}`,
        created: new Date().toISOString(),
        status: "PROCESSING",
        requests: body.requests as Json[],
        polls: 0,
        imported: [],
        errors: [],
      };
      batch.jobs.set(job.id, job);
      const out = { job: metadata(job) };
      if (key) {
        saved.set(key, { bodyHash, status: 200, body: out });
        executing.add(key);
        res.on("close", () => executing.delete(key));
      }
      return answer(200, out);
    }
    if (req.method !== "GET" || !jobId) return send(404, { ...deps.specError(404) });
    const job = batch.jobs.get(decodeURIComponent(jobId));
    if (!job) return send(404, { ...deps.specError(404) });
    if (!sub) {
      if (job.status === "PROCESSING" && isRunning(job) && ++job.polls >= batch.pollsToFinish) finish(job);
      return answer(200, { imports: job.imported.length, errors: job.errors.length, job: metadata(job) });
    }
    // Results are only ready once the job is: 202 meanwhile.
    if (job.status === "PROCESSING") return answer(202, {});
    const token = url.searchParams.get("page_token");
    return answer(200, sub === "/errors" ? page(job.errors, token) : page(job.imported, token));
  };

  return { batch, handle };
}
