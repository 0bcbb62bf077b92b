import { describe, expect, it } from "vitest";
import type { ApiAnswer } from "../../../src/cloudflare/api";
import { backoffMs, classifyAnswer, retryAfterMs } from "../../../src/ledger/drain/classify";

const NOW = Date.parse("2026-01-01T00:00:00Z");
function response(httpStatus: number, envelope: { success: boolean; result: unknown } | null, retryAfter: string | null = null): ApiAnswer {
  return {
    kind: "response",
    httpStatus,
    envelope: envelope && { resultInfo: undefined, ...envelope, errors: [] },
    retryAfter,
    rateLimit: null,
    rateLimitPolicy: null,
  };
}

describe("classifyAnswer", () => {
  it.each([
    [response(200, { success: true, result: true }), "answered"],
    [response(200, { success: true, result: false }), "answered"],
    [response(200, null), "retry"],
    [response(200, { success: false, result: null }), "failed"],
    [response(429, null, "30"), "retry"],
    [response(500, null), "retry"],
    [response(502, null), "retry"],
    [response(408, null), "retry"],
    [response(401, null), "failed"],
    [response(403, null), "failed"],
    [response(400, null), "failed"],
    [response(404, null), "failed"],
    [{ kind: "timeout", afterMs: 10_000 } as const, "retry"],
    [{ kind: "network_error", message: "reset" } as const, "retry"],
  ])("%o → %s", (answer, outcome) => {
    expect(classifyAnswer(answer, NOW).outcome).toBe(outcome);
  });

  it("answers the result of a success, for the caller to read", () => {
    expect(classifyAnswer(response(200, { success: true, result: false }), NOW)).toEqual({ outcome: "answered", result: false });
    // A paged list's result_info rides along for whoever pages it (the reconciliation sweep).
    const info = { page: 2, per_page: 100, count: 100, total_count: 250 };
    expect(classifyAnswer(response(200, { success: true, result: [], resultInfo: info } as never), NOW)).toEqual({
      outcome: "answered",
      result: [],
      resultInfo: info,
    });
  });

  it("pauses the whole drain only on 429, and marks only 401/403 as the token refused", () => {
    expect(classifyAnswer(response(429, null, "30"), NOW)).toMatchObject({ pauseDrainMs: 30_000 });
    expect(classifyAnswer(response(503, null), NOW)).not.toHaveProperty("pauseDrainMs");
    expect(classifyAnswer(response(403, null), NOW)).toMatchObject({ refused: true });
    expect(classifyAnswer(response(400, null), NOW)).toMatchObject({ refused: false });
  });
});

describe("retryAfterMs", () => {
  it.each([
    ["120", 120_000],
    ["0", 1000],
    ["9999", 300_000],
    [new Date(NOW + 45_000).toUTCString(), 45_000],
    ["soon", 60_000],
    [null, 60_000],
  ])("Retry-After %s → %i ms", (header, expected) => {
    expect(retryAfterMs(header, NOW)).toBe(expected);
  });
});

describe("backoffMs", () => {
  it("doubles from 2 s, caps at 5 minutes, and jitters between 50 and 100 %", () => {
    expect(backoffMs(1, () => 1)).toBe(2000);
    expect(backoffMs(1, () => 0)).toBe(1000);
    expect(backoffMs(4, () => 1)).toBe(16_000);
    expect(backoffMs(30, () => 1)).toBe(300_000);
  });
});
