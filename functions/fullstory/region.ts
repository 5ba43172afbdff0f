import type { DataCenter } from "../config";
import { BridgeError, ErrorCode } from "../errors";

// Keys minted since 2022 start with their data center (`na1.`, `eu1.`); older keys have no prefix
// and belong to na1. https://developer.fullstory.com/server/v1/getting-started (Data Residency)
const PREFIX = /^([a-z]{2}[0-9])\./;

/** The data center a Fullstory API key belongs to, read from its prefix (`na1` when it has none). */
export function keyRegion(apiKey: string): string {
  return PREFIX.exec(apiKey)?.[1] ?? "na1";
}

/**
 * The data-residency guard: when the stage pins a data center and the key belongs to another,
 * throws a BridgeError `region_mismatch` naming both regions (never the key), so no data is sent.
 * Returns the key's region otherwise.
 */
export function checkKeyRegion(apiKey: string, pinned: DataCenter | undefined): string {
  const region = keyRegion(apiKey);
  if (pinned && region !== pinned) {
    throw new BridgeError(
      ErrorCode.RegionMismatch,
      `The Fullstory API key belongs to data center ${region}, but this stage is pinned to ${pinned} (FULLSTORY_REGION).`,
    );
  }
  return region;
}
