import { describe, expect, it } from "vitest";
import { isBridgeError } from "../../functions/errors";
import { checkKeyRegion, keyRegion } from "../../functions/fullstory/region";

describe("Fullstory key region", () => {
  it("reads the data center from the key prefix", () => {
    expect(keyRegion("na1.c2VjcmV0")).toBe("na1");
    expect(keyRegion("eu1.c2VjcmV0")).toBe("eu1");
  });

  it("treats a key without prefix as a pre-2022 na1 key", () => {
    expect(keyRegion("c2VjcmV0LWtleS1vbGQ=")).toBe("na1");
  });

  it("accepts a key of the pinned data center, and any key when none is pinned", () => {
    expect(checkKeyRegion("eu1.abc", "eu1")).toBe("eu1");
    expect(checkKeyRegion("eu1.abc", undefined)).toBe("eu1");
  });

  it("refuses a key for another data center, naming both regions and not the key", () => {
    const key = "eu1.very-secret-key";
    let caught: unknown;
    try {
      checkKeyRegion(key, "na1");
    } catch (err) {
      caught = err;
    }
    expect(isBridgeError(caught, "region_mismatch")).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain("eu1");
    expect(message).toContain("na1");
    expect(message).not.toContain("very-secret-key");
  });

  it("refuses an old unprefixed key on a stage pinned to eu1", () => {
    expect(() => checkKeyRegion("c2VjcmV0", "eu1")).toThrow(/na1.*eu1/);
  });
});
