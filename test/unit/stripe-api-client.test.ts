import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { STRIPE_API_VERSION } from "../../functions/sources/stripe/api";

describe("Stripe API mode's client", () => {
  it("reads with the API version the pinned stripe package is built for, whose shapes the schemas describe", () => {
    expect(STRIPE_API_VERSION).toBe(Stripe.API_VERSION);
  });
});
