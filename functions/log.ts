import { isoTime } from "./iso-time";

/**
 * Structured logging: one JSON object per line. Callers pass only what is safe to keep (ids, types,
 * outcomes, durations); bodies, emails, keys and secrets are never given to it.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type LogSink = (line: string) => void;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A logger writing JSON lines to `sink` (stdout by default; tests pass their own to search the lines). */
export function createLogger(sink: LogSink = (line) => process.stdout.write(`${line}\n`)): Logger {
  const write = (level: string, msg: string, fields?: LogFields) =>
    sink(JSON.stringify({ level, msg, time: isoTime(Date.now()), ...fields }));
  return {
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}
