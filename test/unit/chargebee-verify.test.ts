import { timingSafeEqual } from "node:crypto";
import { basicAuthValidator } from "chargebee";
import { describe, expect, it } from "vitest";
import { isBridgeError } from "../../functions/errors";
import { verifyChargebeeAuth } from "../../functions/sources/chargebee/verify";
import { chargebeeAuthorization } from "../../tools/sign";

/**
 * Chargebee's HTTP Basic credentials, cross-checked against the official `chargebee` package's
 * `basicAuthValidator` (given a constant-time credential check of its own, as its docs ask).
 */

const CREDENTIALS = "fullstory-bridge:s3cret:with:colons";
const OLD = "fullstory-bridge:last-months-password";
const NOW = 1_706_745_600_000;
const encoded = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** Chargebee's own validator over the same credential list. */
function official(list: string[]) {
  return basicAuthValidator((username, password) => {
    const given = Buffer.from(`${username}:${password}`);
    return list.some((entry) => Buffer.byteLength(entry) === given.length && timingSafeEqual(Buffer.from(entry), given));
  });
}

async function theirs(header: string | undefined, list: string[] = [CREDENTIALS]): Promise<string> {
  try {
    await official(list)(header === undefined ? {} : { authorization: header });
    return "valid";
  } catch (err) {
    return (err as Error).name;
  }
}

function ours(header: string | undefined, list: string[] = [CREDENTIALS]): string {
  try {
    verifyChargebeeAuth({ payload: "{}", headers: { authorization: header }, secrets: list, now: NOW });
    return "valid";
  } catch (err) {
    if (isBridgeError(err)) return err.code;
    throw err;
  }
}

describe("Chargebee Basic credentials", () => {
  it("accepts the configured username:password exactly when Chargebee's basicAuthValidator does, password colons included", async () => {
    const header = chargebeeAuthorization(CREDENTIALS);
    expect(await theirs(header)).toBe("valid");
    expect(ours(header)).toBe("valid");
    expect(verifyChargebeeAuth({ payload: "{}", headers: { authorization: header }, secrets: [CREDENTIALS], now: NOW })).toEqual({ timestamp: NOW / 1000 });
  });

  it("refuses what basicAuthValidator refuses: missing, wrong scheme, no colon, wrong user or password", async () => {
    const cases = [
      undefined,
      `Bearer ${encoded(CREDENTIALS)}`,
      `Basic ${encoded("fullstory-bridge")}`,
      `Basic ${encoded("someone-else:s3cret:with:colons")}`,
      `Basic ${encoded("fullstory-bridge:s3cret:with:colon")}`,
      `Basic ${encoded("fullstory-bridge:s3cret:with:colons ")}`,
      `Basic ${encoded(CREDENTIALS)} extra`,
    ];
    for (const header of cases) {
      expect(await theirs(header), String(header)).toBe("WebhookAuthenticationError");
      expect(ours(header), String(header)).toBe("invalid_signature");
    }
  });

  it("accepts any entry of the list while credentials are rotated", async () => {
    for (const entry of [CREDENTIALS, OLD]) {
      const header = chargebeeAuthorization(entry);
      expect(await theirs(header, [CREDENTIALS, OLD])).toBe("valid");
      expect(ours(header, [CREDENTIALS, OLD])).toBe("valid");
    }
    expect(ours(chargebeeAuthorization(OLD), [CREDENTIALS])).toBe("invalid_signature");
  });

  it("takes the scheme in any letter case, as RFC 7617 allows (basicAuthValidator wants `Basic` exactly)", async () => {
    const header = `basic ${encoded(CREDENTIALS)}`;
    expect(await theirs(header)).toBe("WebhookAuthenticationError");
    expect(ours(header)).toBe("valid");
  });

  it("says which setting to fix when a configured entry is not username:password (a 503, not a 401)", () => {
    expect(() => verifyChargebeeAuth({ payload: "{}", headers: { authorization: chargebeeAuthorization("just-a-password") }, secrets: ["just-a-password"], now: NOW })).toThrow(
      /CHARGEBEE_WEBHOOK_SECRET entry is not username:password/,
    );
    expect(ours(chargebeeAuthorization(CREDENTIALS), [":no-user"])).toBe("config_invalid");
  });

  it("refuses every request while no credentials are configured, naming the setting", () => {
    expect(() => verifyChargebeeAuth({ payload: "{}", headers: {}, secrets: [], now: NOW })).toThrow(/CHARGEBEE_WEBHOOK_SECRET/);
  });
});
