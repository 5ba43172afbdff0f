import { describe, expect, it } from "vitest";
import { UpsertSchema } from "../../functions/upsert";
import { issuePaths } from "../../functions/validation";

const paths = (input: unknown): string[] => {
  const result = UpsertSchema.safeParse(input);
  return result.success ? [] : issuePaths(result.error);
};

describe("Fullstory upsert limits", () => {
  it("accepts an upsert within every limit, nested objects included", () => {
    expect(paths({ uid: "u1", email: "a@example.com", properties: { plan: "pro", billing: { seats: 3 } } })).toEqual([]);
  });

  it("names the property that breaks the naming rule, at any depth", () => {
    expect(paths({ uid: "u1", properties: { "plan-name": "pro" } })).toEqual(["properties.plan-name"]);
    expect(paths({ uid: "u1", properties: { billing: { "1st": 1 } } })).toEqual(["properties.billing.1st"]);
  });

  it("refuses more than 500 properties and values over 8192 bytes", () => {
    const many = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`p${i}`, i]));
    expect(paths({ uid: "u1", properties: many })).toEqual(["properties"]);
    expect(paths({ uid: "u1", properties: { note: "é".repeat(4097) } })).toEqual(["properties.note"]);
    expect(paths({ uid: "u1", properties: { note: "e".repeat(8190) } })).toEqual([]);
  });

  it("refuses uid and display_name over 256 characters and email over 128", () => {
    expect(paths({ uid: "u".repeat(257), properties: {} })).toEqual(["uid"]);
    expect(paths({ uid: "u1", display_name: "d".repeat(257), properties: {} })).toEqual(["display_name"]);
    expect(paths({ uid: "u1", email: `${"e".repeat(120)}@example.com`, properties: {} })).toEqual(["email"]);
  });
});
