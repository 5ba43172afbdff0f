/**
 * Clerk webhook bodies for tests, in the shape Clerk documents: an event envelope around a User
 * object (or, for `user.deleted`, the deleted-object stub). Values are made up; tests set what they check.
 * https://clerk.com/docs/guides/development/webhooks/overview
 */

export const USER_ID = "user_2abcDEFghiJKLmnoPQRstu";
export const PRIMARY_EMAIL_ID = "idn_2primaryEmailAddressId";
export const OTHER_EMAIL_ID = "idn_2secondaryEmailAddressId";

type Json = Record<string, unknown>;

/** An email address entry of a Clerk User. */
export function clerkEmailAddress(id: string, email: string, status = "verified"): Json {
  return {
    id,
    object: "email_address",
    email_address: email,
    reserved: false,
    verification: { status, strategy: "email_code", attempts: 1, expire_at: null },
    linked_to: [],
    created_at: 1_718_000_000_000,
    updated_at: 1_718_000_000_000,
  };
}

/** A Clerk User object; `overrides` replace top-level fields. */
export function clerkUser(overrides: Json = {}): Json {
  return {
    id: USER_ID,
    object: "user",
    external_id: null,
    username: "ada",
    first_name: "Ada",
    last_name: "Lovelace",
    image_url: "https://img.clerk.com/example",
    has_image: false,
    primary_email_address_id: PRIMARY_EMAIL_ID,
    primary_phone_number_id: null,
    primary_web3_wallet_id: null,
    password_enabled: true,
    two_factor_enabled: false,
    email_addresses: [
      clerkEmailAddress(OTHER_EMAIL_ID, "ada.old@example.com", "unverified"),
      clerkEmailAddress(PRIMARY_EMAIL_ID, "ada@example.com"),
    ],
    phone_numbers: [],
    web3_wallets: [],
    external_accounts: [],
    public_metadata: {},
    private_metadata: {},
    unsafe_metadata: {},
    last_sign_in_at: null,
    banned: false,
    locked: false,
    created_at: 1_718_000_000_000,
    updated_at: 1_718_000_000_000,
    ...overrides,
  };
}

/** The event envelope Clerk posts; `timestamp` is in milliseconds. */
export function clerkEvent(type: string, data: Json, envelope: Json = {}): Json {
  return {
    data,
    object: "event",
    type,
    timestamp: 1_718_000_000_500,
    instance_id: "ins_2exampleInstanceId",
    event_attributes: { http_request: { client_ip: "192.0.2.1", user_agent: "test" } },
    ...envelope,
  };
}

/** What Clerk sends as `data` of `user.deleted`: the id and a flag, nothing else. */
export function clerkDeletedUser(id: string = USER_ID): Json {
  return { id, object: "user", deleted: true };
}
