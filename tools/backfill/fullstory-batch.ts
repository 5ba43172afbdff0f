import { Pool } from "undici";
import type { DataCenter } from "../../functions/config";
import { RETRYABLE_CODES, classify, type SendResult } from "../../functions/fullstory/client";
import { checkKeyRegion } from "../../functions/fullstory/region";
import { fullstoryHeaders } from "../../functions/fullstory/request";
import { retrying, type Verdict, type Waits } from "./retry";

/**
 * Fullstory's batch user import, as the backfill uses it: create a job of up to 50 000 upserts, poll
 * it until it is COMPLETED or FAILED (FAILED includes partial failures), and page through the
 * users it rejected. Shapes from Fullstory's OpenAPI description (users.swagger.json:
 * CreateBatchUserImportJobResponse, JobStatusResponse, GetBatchUserImportErrorsResponse).
 * https://developer.fullstory.com/server/users/create-batch-user-import-job/
 * https://developer.fullstory.com/server/users/get-batch-user-import-status/
 * https://developer.fullstory.com/server/users/get-batch-user-import-errors/
 */

/** At most this many users in one job (Fullstory's "Payload Limits"). */
export const MAX_JOB_USERS = 50_000;

export type JobStatus = "PROCESSING" | "COMPLETED" | "FAILED";

export interface JobState {
  status: JobStatus;
  imports: number;
  errors: number;
}

/** A user Fullstory did not import, with its reason. */
export interface ImportError {
  uid?: string;
  code: string;
  message: string;
}

export interface FullstoryBatch {
  /** Creates a job from its request body (`{"requests": […]}`) and resolves with its id. */
  create(body: string, idempotencyKey: string): Promise<string>;
  /** The job's state; "not_found" when Fullstory no longer knows the id. */
  status(jobId: string): Promise<JobState | "not_found">;
  /** Every user the finished job rejected, all pages; "processing" while Fullstory is still at it (202). */
  errors(jobId: string): Promise<ImportError[] | "processing">;
  /** Requests sent so far, retries included. */
  readonly requests: number;
  close(): Promise<void>;
}

export interface FullstoryBatchOptions {
  apiUrl: string;
  /** The key; `true` asks for it again (after a 401: it may have been rotated in SSM). */
  getApiKey: (forceRefresh?: boolean) => Promise<string>;
  /** Where the key comes from, for the message when Fullstory refuses it. */
  keySetting: string;
  region?: DataCenter;
  waits: Waits;
}

const parse = (text: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};
const count = (value: unknown): number => (typeof value === "number" ? value : typeof value === "string" ? Number(value) || 0 : 0);

/**
 * The batch client. Each call retries what Fullstory says to retry (429 with its Retry-After,
 * 5xx, timeouts, resets) within the waits' budget; a 401/403 asks for the key once more; then
 * it, or another 4xx, throws an Error with Fullstory's code and message: the run stops and says why. The region guard runs before the
 * first request, as deliver's does. Job creation carries an Idempotency-Key, so a create whose
 * answer was lost, sent again with the same key and body, gets the same job back (for 24 hours).
 * https://developer.fullstory.com/server/idempotent-requests
 */
export function createFullstoryBatch({ apiUrl, getApiKey, keySetting, region, waits }: FullstoryBatchOptions): FullstoryBatch {
  const url = new URL(apiUrl);
  const prefix = url.pathname.replace(/\/+$/, "");
  // A job's body is megabytes: Fullstory may take a while to answer it.
  const pool = new Pool(url.origin, { connections: 4, connect: { timeout: 5_000 }, headersTimeout: 120_000, bodyTimeout: 120_000 });
  let requests = 0;

  type Answer = { status: number; body: Record<string, unknown> };
  /** One request, retried; resolves with a 2xx answer (or a 404 when `allow404`). */
  const call = async (method: "GET" | "POST", path: string, options: { body?: string; idempotencyKey?: string; allow404?: boolean } = {}): Promise<Answer> => {
    let refreshed = false;
    let key = await getApiKey();
    checkKeyRegion(key, region);
    const once = async (): Promise<Answer> => {
      requests++;
      let status: number;
      let retryAfter: string | undefined;
      let text: string;
      try {
        const res = await pool.request({
          path: `${prefix}${path}`,
          method,
          headers: { ...fullstoryHeaders(key), ...(options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {}) },
          ...(options.body === undefined ? {} : { body: options.body }),
        });
        status = res.statusCode;
        const header = res.headers["retry-after"];
        retryAfter = Array.isArray(header) ? header[0] : header;
        text = await res.body.text();
      } catch (cause) {
        const code = (cause as { code?: unknown }).code;
        if (typeof code === "string" && RETRYABLE_CODES.has(code)) throw new Retry({ kind: "retryable", code });
        throw cause;
      }
      if (options.allow404 && status === 404) return { status, body: {} };
      const result = classify(status, retryAfter, text);
      if (result.kind === "ok") return { status, body: parse(text) };
      if (result.kind === "auth" && !refreshed) {
        refreshed = true;
        key = await getApiKey(true);
        checkKeyRegion(key, region);
        throw new Retry({ kind: "retryable", status: result.status, code: "key_refreshed", retryAfterMs: 0 });
      }
      if (result.kind === "auth") throw new Error(`Fullstory refused the API key (${keySetting}): HTTP ${result.status}.`);
      if (result.kind === "permanent") {
        throw new Error(`Fullstory answered ${result.status} to ${method} ${path}: ${result.code}${result.message ? ` (${result.message})` : ""}.`);
      }
      throw new Retry(result);
    };
    return retrying(`Fullstory ${method} ${path.replace(/\/v2\/users\/batch\/[^/]+/, "/v2/users/batch/{job}")}`, once, judge, waits);
  };

  return {
    async create(body, idempotencyKey) {
      const { body: answer } = await call("POST", "/v2/users/batch", { body, idempotencyKey });
      const id = (answer.job as { id?: unknown } | undefined)?.id;
      if (typeof id !== "string" || id === "") throw new Error("Fullstory created a job but named no job id.");
      return id;
    },
    async status(jobId) {
      const { status, body } = await call("GET", `/v2/users/batch/${encodeURIComponent(jobId)}`, { allow404: true });
      if (status === 404) return "not_found";
      const job = body.job as { status?: unknown } | undefined;
      const state = job?.status === "COMPLETED" || job?.status === "FAILED" ? job.status : "PROCESSING";
      return { status: state, imports: count(body.imports), errors: count(body.errors) };
    },
    async errors(jobId) {
      const found: ImportError[] = [];
      let token: string | undefined;
      // Bounded by the pages Fullstory hands out; a token that does not move on ends the loop.
      for (;;) {
        const query = token ? `?page_token=${encodeURIComponent(token)}` : "";
        const { status, body } = await call("GET", `/v2/users/batch/${encodeURIComponent(jobId)}/errors${query}`);
        if (status === 202) return "processing";
        for (const result of Array.isArray(body.results) ? body.results : []) {
          const r = result as { code?: unknown; message?: unknown; user?: { uid?: unknown } };
          found.push({
            ...(typeof r.user?.uid === "string" ? { uid: r.user.uid } : {}),
            code: typeof r.code === "string" ? r.code : "unknown",
            message: typeof r.message === "string" ? r.message : "",
          });
        }
        const next = typeof body.next_page_token === "string" && body.next_page_token !== "" ? body.next_page_token : undefined;
        if (!next || next === token) return found;
        token = next;
      }
    },
    get requests() {
      return requests;
    },
    close: () => pool.close(),
  };
}

/** A retryable Fullstory answer, carried to the verdict. */
class Retry extends Error {
  constructor(readonly result: Extract<SendResult, { kind: "retryable" }>) {
    super(`Fullstory ${result.status === 429 ? "rate limit" : `unavailable (${result.status ?? result.code})`}`);
  }
}

function judge(err: unknown): Verdict {
  if (!(err instanceof Retry)) return { retry: false };
  const { retryAfterMs } = err.result;
  return retryAfterMs === undefined ? { retry: true, why: err.message } : { retry: true, afterMs: retryAfterMs, why: err.message };
}
