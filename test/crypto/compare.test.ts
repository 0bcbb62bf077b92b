// A presented secret against a rotation list: whole values only, in constant time, and every listed secret
// is compared whatever the outcome (the loop never exits early: how long it takes says nothing about which matched).
import { afterEach, describe, expect, it, vi } from "vitest";
import { matchesAnySecret } from "../../src/crypto/compare";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("matchesAnySecret", () => {
  it("matches a whole listed value, after trimming the whitespace HTTP strips anyway", async () => {
    expect(await matchesAnySecret(" second ", ["first", "second"])).toBe(true);
    expect(await matchesAnySecret("second", ["first"])).toBe(false);
  });

  it.each([
    ["a prefix", "sec", ["second"]],
    ["a longer value", "second!", ["second"]],
    ["an empty value", "", [""]],
    ["no value", null, ["second"]],
    ["a blank value", "   ", ["second"]],
  ])("never matches %s", async (_, presented, secrets) => {
    expect(await matchesAnySecret(presented, secrets)).toBe(false);
  });

  it("compares every listed secret, also after the first one matched", async () => {
    const compare = vi.spyOn(crypto.subtle, "timingSafeEqual");
    expect(await matchesAnySecret("first", ["first", "second", "third"])).toBe(true);
    expect(compare).toHaveBeenCalledTimes(3);
  });
});
