import { describe, expect, it } from "vitest";
import { createProgress, progressLine, type Counts } from "../../tools/backfill/progress";

const counts = (read: number, more: Partial<Counts> = {}): Counts => ({ read, sent: 0, imported: 0, rejected: 0, unresolved: 0, jobsInFlight: 0, ...more });

describe("the backfill's progress line", () => {
  it("says the counts and the rate", () => {
    expect(progressLine(counts(12_400, { sent: 10_000, imported: 5_000, unresolved: 212, jobsInFlight: 1 }), "customers", 85.4)).toBe(
      "12,400 customers read (85/s) · 10,000 sent · 5,000 imported · 0 rejected · 212 unresolved · 1 job in flight",
    );
  });

  it("on a terminal, redraws one line in place at most ten times a second, and keeps notes above it", () => {
    let clock = 0;
    let out = "";
    const progress = createProgress({ write: (t) => (out += t), tty: true, noun: "users", now: () => clock });
    clock = 1_000;
    progress.update(counts(100));
    clock = 1_050;
    progress.update(counts(150)); // within 100 ms of the last drawing: not drawn
    clock = 1_200;
    progress.update(counts(200));
    progress.note("job 1: 200 users sent");
    progress.finish();
    expect(out.split("\r\x1b[2K").filter(Boolean)).toEqual([
      "100 users read (100/s) · 0 sent · 0 imported · 0 rejected · 0 unresolved · 0 jobs in flight",
      "200 users read (167/s) · 0 sent · 0 imported · 0 rejected · 0 unresolved · 0 jobs in flight",
      "job 1: 200 users sent\n",
      "200 users read (167/s) · 0 sent · 0 imported · 0 rejected · 0 unresolved · 0 jobs in flight",
      "200 users read (167/s) · 0 sent · 0 imported · 0 rejected · 0 unresolved · 0 jobs in flight\n",
    ]);
  });

  it("elsewhere, prints a plain line every 1 000 accounts, each note, and the last counts", () => {
    let out = "";
    const progress = createProgress({ write: (t) => (out += t), tty: false, noun: "customers", now: () => 1_000 });
    for (let read = 100; read <= 2_500; read += 100) progress.update(counts(read));
    progress.note("Stripe customers: Stripe could not answer right now (429): waiting 0.5 s");
    progress.finish();
    const lines = out.trimEnd().split("\n");
    expect(out).not.toContain("\r");
    expect(lines.map((l) => l.split(" read")[0])).toEqual(["1,000 customers", "2,000 customers", "Stripe customers: Stripe could not answer right now (429): waiting 0.5 s", "2,500 customers"]);
  });
});
