import * as z from "zod";

/** 9999-12-31T23:59:59.999Z: the last instant with a four-digit-year ISO-8601 form (functions/iso-time.ts). */
const MAX_MS = 253_402_300_799_999;

/**
 * An ISO-8601 date-time with a zone (`Z` or `±hh:mm`), as Lemon Squeezy, Polar and WorkOS write
 * their timestamps: any number of fraction digits (Lemon Squeezy sends six), no local times
 * (`Date.parse` would read "2024-01-01 10:00" in the server's zone), and within 1970–9999 so that
 * every accepted value orders events and becomes a Fullstory date.
 */
export const IsoDateTime = z.iso.datetime({ offset: true }).refine((value) => {
  const ms = Date.parse(value);
  return ms >= 0 && ms <= MAX_MS;
}, "must be a date-time between 1970 and 9999");
