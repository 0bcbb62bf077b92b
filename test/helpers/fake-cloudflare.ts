// A fake of Cloudflare's revoke_user endpoint behind vi.spyOn(globalThis, "fetch"): the only thing the
// in-workerd tests mock. It records every call (time, path, query, body, token) and answers with a
// programmable script, by default {"success": true, "result": true}.
import { afterEach, beforeEach, vi } from "vitest";
import { TEST_CF_API_BASE_URL } from "./bindings";
import { ledgerClock } from "./clock";

type RecordedCall = {
  /** When the call arrived, on the ledger's clock. */
  at: number;
  path: string;
  devices: string | null;
  body: Record<string, unknown>;
  authorization: string | null;
  /** The fetch's redirect mode ("manual": the client never follows one). */
  redirect: string | undefined;
  /** The status the script answered (null until it did). */
  status: number | null;
};

export type Answer = (call: RecordedCall, index: number) => Response | Promise<Response>;

export function envelope(result: boolean, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json({ success: status < 400, result, errors: [], messages: [] }, { status, headers });
}

export function apiError(status: number, code: number, message: string, headers: Record<string, string> = {}) {
  return Response.json({ success: false, result: null, errors: [{ code, message }], messages: [] }, { status, headers });
}

/** A call that never answers until its signal aborts (a hung connection). */
export function hang(signal: AbortSignal | null | undefined): Promise<Response> {
  return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted"))));
}

export function installFakeCloudflare(answer: Answer = () => envelope(true)) {
  const calls: RecordedCall[] = [];
  let script = answer;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init as RequestInit);
    const url = new URL(request.url);
    if (!request.url.startsWith(TEST_CF_API_BASE_URL)) throw new Error(`unexpected outbound fetch to ${url.origin}`);
    const call: RecordedCall = {
      // The ledger's clock, so call times compare with the ledger's own (pauses, holds, backoff).
      at: ledgerClock.now(),
      path: url.pathname.slice(new URL(TEST_CF_API_BASE_URL).pathname.length),
      devices: url.searchParams.get("devices"),
      body: (await request.json()) as Record<string, unknown>,
      authorization: request.headers.get("Authorization"),
      redirect: init?.redirect,
      status: null,
    };
    calls.push(call);
    if (init?.signal?.aborted) throw new Error("aborted");
    const index = calls.length - 1;
    const answered = Promise.resolve(script(call, index)).then((response) => {
      call.status = response.status;
      return response;
    });
    return init?.signal ? Promise.race([answered, hang(init.signal)]) : answered;
  });
  return {
    calls,
    callsFor: (email: string) => calls.filter((call) => call.body.email === email),
    setAnswer(next: Answer) {
      script = next;
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
    await settle();
    current.restore();
  });
  return () => current;
}
