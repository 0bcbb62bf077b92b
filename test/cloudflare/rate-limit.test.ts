// Cloudflare's budget headers as the Worker reads them. The well-formed values are the examples Cloudflare's
// API limits page gives (developers.cloudflare.com/fundamentals/api/reference/limits: `"default";r=50;t=30`,
// `"burst";q=100;w=60`) and the IETF draft's (draft-ietf-httpapi-ratelimit-headers-10 §3.2, §4.2); each
// malformed one changes one thing.
import { describe, expect, it } from "vitest";
import { readRateLimitHeaders } from "../../src/cloudflare/rate-limit";

describe("readRateLimitHeaders", () => {
  it("reads Cloudflare's documented examples", () => {
    expect(readRateLimitHeaders('"default";r=50;t=30', '"burst";q=100;w=60')).toEqual({
      limits: [{ policy: "default", remaining: 50, resetSeconds: 30 }],
      policies: [{ policy: "burst", quota: 100, windowSeconds: 60 }],
    });
  });

  it("reads a List of several policies, split over fields or not, and ignores comment parameters", () => {
    expect(
      readRateLimitHeaders('"permin";r=5;t=20, "perhr";r=900;t=3000;pk=:dHJpYWw=:', '"permin";q=50;w=60,"perhr";q=1000;w=3600;acme-x=1'),
    ).toEqual({
      limits: [
        { policy: "permin", remaining: 5, resetSeconds: 20 },
        { policy: "perhr", remaining: 900, resetSeconds: 3000 },
      ],
      policies: [
        { policy: "permin", quota: 50, windowSeconds: 60 },
        { policy: "perhr", quota: 1000, windowSeconds: 3600 },
      ],
    });
  });

  it("takes a reset as optional (the draft's: no time window reset) and a Token as a name", () => {
    expect(readRateLimitHeaders("default;r=999", "default;q=1000").limits).toEqual([{ policy: "default", remaining: 999, resetSeconds: null }]);
    expect(readRateLimitHeaders(null, "default;q=1000").policies).toEqual([{ policy: "default", quota: 1000, windowSeconds: null }]);
  });

  it.each([
    ["absent", null],
    ["empty", ""],
    ["not a List (unterminated string)", '"default;r=5;t=3'],
    ["the old pre-draft form", "50"],
    ["a number as the name", "5;r=5;t=3"],
    ["no r", '"default";t=30'],
    ["r not an Integer", '"default";r=5.5;t=30'],
    ["r a String", '"default";r="5";t=30'],
    ["r negative", '"default";r=-1;t=30'],
    ["t negative", '"default";r=5;t=-30'],
    ["an Inner List", '("default");r=5;t=30'],
  ])("ignores a Ratelimit that is %s, without throwing", (_, field) => {
    expect(readRateLimitHeaders(field, null).limits).toEqual([]);
  });

  it("ignores one malformed Item and keeps the others", () => {
    expect(readRateLimitHeaders('"a";r=x, "b";r=3;t=4', null).limits).toEqual([{ policy: "b", remaining: 3, resetSeconds: 4 }]);
  });

  it.each([
    ["no q", '"default";w=300'],
    ["a zero window", '"default";q=1200;w=0'],
    ["q negative", '"default";q=-3;w=300'],
  ])("ignores a policy with %s", (_, field) => {
    expect(readRateLimitHeaders(null, field).policies).toEqual([]);
  });

  it("ignores a policy counted in another unit than requests, and its limit with it", () => {
    expect(readRateLimitHeaders('"bytes";r=300000;t=60, "default";r=4;t=9', '"bytes";q=65535;qu="content-bytes";w=10, "default";q=5;w=10')).toEqual({
      limits: [{ policy: "default", remaining: 4, resetSeconds: 9 }],
      policies: [{ policy: "default", quota: 5, windowSeconds: 10 }],
    });
  });
});
