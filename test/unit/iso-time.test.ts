import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTime } from "../../functions/iso-time";

describe("isoTime", () => {
  it("gives exactly what Date#toISOString gives, across days, years and the edges of four-digit years", () => {
    const edges = [0, 1, 999, 1_000, 86_399_999, 86_400_000, 951_782_400_000, 1_706_745_600_123, 253_402_300_799_999];
    for (const ms of edges) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        // Twice: the first call of a day fills the cache, the second is computed from it.
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it("leaves times outside years 0000-9999, fractions and invalid times to Date, errors included", () => {
    expect(isoTime(253_402_300_800_000)).toBe(new Date(253_402_300_800_000).toISOString());
    expect(isoTime(-1)).toBe(new Date(-1).toISOString());
    expect(isoTime(1.5)).toBe(new Date(1.5).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
