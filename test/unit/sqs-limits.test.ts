import { describe, expect, it } from "vitest";
import { SQS_LIMITS, attributeText, sqsBatches, sqsJson, sqsLimitProblems, sqsMessageBytes } from "../../functions/queue/limits";
import { failureAttributes } from "../../functions/queue/sqs";

const entry = { body: '{"a":1}', groupId: "user_1", deduplicationId: "d".repeat(64) };

describe("SQS limits, enforced by the bridge itself", () => {
  it("accepts a well-formed FIFO entry", () => {
    expect(sqsLimitProblems(entry)).toEqual([]);
  });

  it("refuses an empty attribute value, which real SQS refuses and the emulator accepts", () => {
    const problems = sqsLimitProblems({ ...entry, attributes: { message: { DataType: "String", StringValue: "" } } });
    expect(problems).toEqual(["attribute message is empty"]);
  });

  it("counts attribute names, types and values in the message size, and refuses a message over 1 MiB", () => {
    const attributes = { reason: { DataType: "String", StringValue: "rejected" } };
    expect(sqsMessageBytes("é", attributes)).toBe(2 + "reason".length + "String".length + "rejected".length);
    const body = "x".repeat(SQS_LIMITS.messageBytes - sqsMessageBytes("", attributes));
    expect(sqsLimitProblems({ ...entry, body, attributes })).toEqual([]);
    expect(sqsLimitProblems({ ...entry, body: `${body}x`, attributes })).toEqual([
      `the message is ${SQS_LIMITS.messageBytes + 1} bytes, over SQS's ${SQS_LIMITS.messageBytes}`,
    ]);
  });

  it("refuses group and deduplication ids outside 1-128 printable ASCII characters", () => {
    expect(sqsLimitProblems({ ...entry, groupId: "a b" })).toHaveLength(1);
    expect(sqsLimitProblems({ ...entry, groupId: "g".repeat(129) })).toHaveLength(1);
    expect(sqsLimitProblems({ ...entry, groupId: "g".repeat(128) })).toEqual([]);
    expect(sqsLimitProblems({ ...entry, deduplicationId: "" })).toHaveLength(1);
    expect(sqsLimitProblems({ ...entry, deduplicationId: "é" })).toHaveLength(1);
  });

  it("refuses more than ten attributes and reserved or malformed names", () => {
    const many = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: "String", StringValue: "v" }]));
    expect(sqsLimitProblems({ ...entry, attributes: many })).toEqual(["more than 10 message attributes"]);
    for (const name of ["AWS.trace", "amazon.x", ".lead", "trail.", "two..dots", "spa ce"]) {
      expect(sqsLimitProblems({ ...entry, attributes: { [name]: { DataType: "String", StringValue: "v" } } }), name).toHaveLength(1);
    }
  });

  it("refuses characters outside SQS's allowed set in the body, and writes JSON that avoids them", () => {
    expect(sqsLimitProblems({ ...entry, body: "a\uffffb" })).toEqual(["the body holds characters SQS does not allow"]);
    expect(sqsLimitProblems({ ...entry, body: "a\ud800b" })).toHaveLength(1);
    expect(sqsLimitProblems({ ...entry, body: "a\u0001b" })).toHaveLength(1);
    expect(sqsLimitProblems({ ...entry, body: "tab\tnewline\n 😀 \ud7ff \ue000 \ufffd" })).toEqual([]);
    const value = { raw: "a\uffff\ufffe\ud800\u0001b" };
    const json = sqsJson(value);
    expect(sqsLimitProblems({ ...entry, body: json })).toEqual([]);
    expect(JSON.parse(json)).toEqual(value);
  });

  it("leaves a missing or empty failure detail out of the attributes instead of sending it empty", () => {
    const attrs = failureAttributes({ reason: "rejected", status: 413, code: "http_413", message: "", attempts: 1, first_failed_at: "2026-01-01T00:00:00.000Z" });
    expect(Object.keys(attrs).sort()).toEqual(["attempts", "code", "first_failed_at", "reason", "status"]);
    expect(sqsLimitProblems({ ...entry, attributes: attrs })).toEqual([]);
  });

  it("makes attribute text SQS accepts: disallowed characters replaced, length bounded", () => {
    expect(attributeText("bad\u0000\uffffchars")).toBe("bad\ufffd\ufffdchars");
    expect(attributeText("x".repeat(5000))).toHaveLength(1024);
  });

  it("cuts batch calls into SQS's ten entries", () => {
    expect(sqsBatches(Array.from({ length: 23 }, (_, i) => i)).map((b) => b.length)).toEqual([10, 10, 3]);
    expect(sqsBatches([])).toEqual([]);
  });
});
