// The fake Cloudflare API (scripts/fake-cloudflare.ts, where each behaviour of the API is modelled) behind
// vi.spyOn(globalThis, "fetch"): the only thing the in-workerd tests mock. Calls are recorded with the
// ledger's clock, and the ledger's own fetch is handed over, so its redirect mode and abort signal are what
// the fake sees (a scripted answer that never comes ends when the call times out). Any other origin is
// refused unless a test serves it (serveOtherOrigins: an SSF transmitter's keys).
import { afterEach, beforeEach, vi } from "vitest";
import { type Answer, createFakeCloudflare, envelope, type FakeCloudflareOptions, hang } from "../../scripts/fake-cloudflare";
import { TEST_CF_API_BASE_URL } from "./bindings";
import { ledgerClock } from "./clock";

export { type Answer, apiError, envelope, hang } from "../../scripts/fake-cloudflare";

/** `options`: the tokens the fake takes and their budgets (none by default: any token, no limit). */
export function installFakeCloudflare(
  answer: Answer = () => envelope(true),
  options: Pick<FakeCloudflareOptions, "tokens" | "rateLimit" | "reportRateLimit"> = {},
) {
  const fake = createFakeCloudflare({ ...options, basePath: new URL(TEST_CF_API_BASE_URL).pathname, now: () => ledgerClock.now() });
  fake.setAnswer(answer);
  /** Answers requests to origins other than the API (null: refused). */
  let otherOrigins: ((url: string, init: RequestInit) => Promise<Response>) | null = null;

  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init as RequestInit);
    if (!request.url.startsWith(TEST_CF_API_BASE_URL)) {
      if (otherOrigins) return otherOrigins(request.url, init ?? {});
      throw new Error(`unexpected outbound fetch to ${new URL(request.url).origin}`);
    }
    if (init?.signal?.aborted) throw new Error("aborted");
    const answered = fake.handle(request);
    return init?.signal ? Promise.race([answered, hang(init.signal)]) : answered;
  });
  return {
    ...fake,
    /** Serves every origin but the API's with `handler` (a test's own fake server, e.g. an SSF transmitter). */
    serveOtherOrigins(handler: (url: string, init: RequestInit) => Promise<Response>) {
      otherOrigins = handler;
    },
    restore() {
      spy.mockRestore();
    },
  };
}

/**
 * Installs the fake before each test and, after it, lets the ledger finish (fast-forwarding backoff) so
 * one test's drain never spills into the next. Returns a getter for the current test's fake.
 */
export function useFakeCloudflare(settle: () => Promise<void>): () => ReturnType<typeof installFakeCloudflare> {
  let current: ReturnType<typeof installFakeCloudflare>;
  beforeEach(() => {
    current = installFakeCloudflare();
  });
  afterEach(async () => {
    current.setAnswer(() => envelope(true));
    current.setFollowUpAnswer(() => null);
    await settle();
    current.restore();
  });
  return () => current;
}
