/**
 * The backfill's progress on stderr. On a terminal: one line, redrawn in place at most ten times
 * a second, with the counts and the rate. Elsewhere (a CI log, a file): a plain line every
 * `every` accounts read, and one per event (a job created or finished, a wait).
 */

export interface Counts {
  read: number;
  sent: number;
  imported: number;
  rejected: number;
  unresolved: number;
  jobsInFlight: number;
}

export interface Progress {
  /** The counts changed. */
  update(counts: Counts): void;
  /** Something worth a line of its own. */
  note(text: string): void;
  /** The last line, left on screen. */
  finish(): void;
}

export interface ProgressOptions {
  write: (text: string) => void;
  tty: boolean;
  /** What is counted ("customers", "users"). */
  noun: string;
  /** Non-TTY: a line every this many accounts read. */
  every?: number;
  now?: () => number;
}

const REDRAW_MS = 100;
const number = (n: number) => n.toLocaleString("en-US");

/** The progress line's text, e.g. `1,234 customers read (82/s) · 1,100 sent · 1,000 imported · 0 rejected · 34 unresolved · 1 job in flight`. */
export function progressLine(counts: Counts, noun: string, perSecond: number): string {
  const jobs = counts.jobsInFlight === 1 ? "1 job in flight" : `${counts.jobsInFlight} jobs in flight`;
  return [
    `${number(counts.read)} ${noun} read (${number(Math.round(perSecond))}/s)`,
    `${number(counts.sent)} sent`,
    `${number(counts.imported)} imported`,
    `${number(counts.rejected)} rejected`,
    `${number(counts.unresolved)} unresolved`,
    jobs,
  ].join(" · ");
}

/** A progress reporter (see the module comment). */
export function createProgress({ write, tty, noun, every = 1_000, now = Date.now }: ProgressOptions): Progress {
  const started = now();
  let last: Counts = { read: 0, sent: 0, imported: 0, rejected: 0, unresolved: 0, jobsInFlight: 0 };
  let drawnAt = 0;
  let onScreen = false;
  let reported = 0;
  const line = () => progressLine(last, noun, last.read / Math.max((now() - started) / 1000, 0.001));
  const draw = () => {
    write(`\r\x1b[2K${line()}`);
    onScreen = true;
    drawnAt = now();
  };
  const clear = () => {
    if (onScreen) write("\r\x1b[2K");
    onScreen = false;
  };

  return {
    update(counts) {
      last = counts;
      if (tty) {
        if (now() - drawnAt >= REDRAW_MS) draw();
      } else if (Math.floor(counts.read / every) > Math.floor(reported / every)) {
        reported = counts.read;
        write(`${line()}\n`);
      }
    },
    note(text) {
      if (tty) {
        clear();
        write(`${text}\n`);
        draw();
      } else write(`${text}\n`);
    },
    finish() {
      if (tty) {
        draw();
        write("\n");
        onScreen = false;
      } else if (reported !== last.read) write(`${line()}\n`);
    },
  };
}
