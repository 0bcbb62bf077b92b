// A fake of the Cloudflare API behind vi.spyOn(globalThis, "fetch"): the only thing the in-workerd tests
// mock. It serves the four endpoints the Worker uses, enforcing their documented shapes the way the real
// API refuses anything else (unknown fields, wrong methods, unknown routes):
// - POST {accounts|zones}/{id}/access/organizations/revoke_user?devices=  body {email, user_uid?, warp_session_reauth?}
// - GET  accounts/{id}/access/users?email=&page=&per_page=               → [{id, email, seat_uid, access_seat, gateway_seat, last_successful_login}]
// - PATCH accounts/{id}/access/seats                                      body [{access_seat, gateway_seat, seat_uid}]
// - GET  accounts/{id}/access/users/{user_id}/active_sessions            → [{name, expiration, metadata}]
// (developers.cloudflare.com/api/resources/zero_trust/…; the shapes in src/cloudflare/*.ts.)
// revoke_user answers with a programmable script (by default {"success": true, "result": true}) and ends the
// person's sessions in the fake's model of Access users, unless a test keeps them ("sticky"). Calls are
// recorded with the ledger's clock. Any other origin is refused unless a test serves it (serveOtherOrigins:
// an SSF transmitter's keys).
import { afterEach, beforeEach, vi } from "vitest";
import * as z from "zod/mini";
import { TEST_CF_API_BASE_URL } from "./bindings";
import { ledgerClock } from "./clock";

type RecordedCall = {
  /** When the call arrived, on the ledger's clock. */
  at: number;
  method: string;
  path: string;
  devices: string | null;
  /** The query string's parameters. */
  query: Record<string, string>;
  body: Record<string, unknown>;
  authorization: string | null;
  /** The fetch's redirect mode ("manual": the client never follows one). */
  redirect: string | undefined;
  /** The status the fake answered (null until it did). */
  status: number | null;
};

export type Answer = (call: RecordedCall, index: number) => Response | Promise<Response>;

export function envelope(result: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json({ success: status < 400, result, errors: [], messages: [] }, { status, headers });
}

export function apiError(status: number, code: number, message: string, headers: Record<string, string> = {}) {
  return Response.json({ success: false, result: null, errors: [{ code, message }], messages: [] }, { status, headers });
}

/** A call that never answers until its signal aborts (a hung connection). */
export function hang(signal: AbortSignal | null | undefined): Promise<Response> {
  return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted"))));
}

/** An Access user as the fake keeps it (per email; the fake has one account's worth of users for every account). */
export type FakeAccessUser = {
  id: string;
  seat_uid: string;
  access_seat: boolean;
  gateway_seat: boolean;
  last_successful_login: string;
  sessions: number;
};

const RevokeBody = z.strictObject({ email: z.string(), user_uid: z.optional(z.string()), warp_session_reauth: z.optional(z.boolean()) });
const SeatsBody = z.array(z.strictObject({ access_seat: z.boolean(), gateway_seat: z.boolean(), seat_uid: z.string() }));
const UsersQuery = z.strictObject({
  email: z.optional(z.string()),
  name: z.optional(z.string()),
  page: z.optional(z.string()),
  per_page: z.optional(z.string()),
});

const ROUTES = {
  revoke: /^\/(accounts|zones)\/([0-9a-f]{32})\/access\/organizations\/revoke_user$/,
  users: /^\/accounts\/([0-9a-f]{32})\/access\/users$/,
  seats: /^\/accounts\/([0-9a-f]{32})\/access\/seats$/,
  sessions: /^\/accounts\/([0-9a-f]{32})\/access\/users\/([^/]+)\/active_sessions$/,
};

export function installFakeCloudflare(answer: Answer = () => envelope(true)) {
  /** revoke_user calls (what most tests count). */
  const calls: RecordedCall[] = [];
  /** Every request, follow-ups included. */
  const requests: RecordedCall[] = [];
  let script = answer;
  /** Answers a follow-up request instead of the model when it returns a Response (faults, 403s). */
  let followUpScript: (call: RecordedCall) => Response | null = () => null;
  const users = new Map<string, FakeAccessUser>();
  /** Emails with no Access user at all (never logged in through Access). */
  const absent = new Set<string>();
  /** Emails whose sessions survive revoke_user (the IdP keeps issuing them). */
  const sticky = new Set<string>();

  const userFor = (email: string): FakeAccessUser | null => {
    const key = email.toLowerCase();
    if (absent.has(key)) return null;
    let user = users.get(key);
    if (!user) {
      user = {
        id: crypto.randomUUID(),
        seat_uid: crypto.randomUUID(),
        access_seat: true,
        gateway_seat: true,
        last_successful_login: "2026-01-01T00:00:00Z",
        sessions: 1,
      };
      users.set(key, user);
    }
    return user;
  };

  const serve = (call: RecordedCall, url: URL, json: unknown): Response => {
    const path = call.path;
    if (ROUTES.revoke.test(path)) {
      if (call.method !== "POST") return apiError(405, 10405, "Method not allowed");
      if (!RevokeBody.safeParse(json).success) return apiError(400, 12006, "invalid request body");
      return envelope(true); // (the script answers revoke calls; this is only its shape check)
    }
    const followUp = followUpScript(call);
    if (followUp) return followUp;
    if (ROUTES.users.test(path)) {
      if (call.method !== "GET") return apiError(405, 10405, "Method not allowed");
      const query = UsersQuery.safeParse(Object.fromEntries(url.searchParams));
      if (!query.success) return apiError(400, 12000, "unknown query parameter");
      const email = query.data.email ?? "";
      const user = userFor(email);
      return envelope(
        user
          ? [
              {
                id: user.id,
                email,
                name: email.split("@")[0],
                seat_uid: user.seat_uid,
                access_seat: user.access_seat,
                gateway_seat: user.gateway_seat,
                last_successful_login: user.last_successful_login,
              },
            ]
          : [],
      );
    }
    if (ROUTES.seats.test(path)) {
      if (call.method !== "PATCH") return apiError(405, 10405, "Method not allowed");
      const body = SeatsBody.safeParse(json);
      if (!body.success) return apiError(400, 12000, "invalid seats body");
      const updated = body.data.map((seat) => {
        const user = [...users.values()].find((candidate) => candidate.seat_uid === seat.seat_uid);
        if (user) Object.assign(user, { access_seat: seat.access_seat, gateway_seat: seat.gateway_seat });
        return { ...seat, created_at: "2026-01-01T00:00:00Z", updated_at: new Date(call.at).toISOString() };
      });
      return envelope(updated);
    }
    const sessions = ROUTES.sessions.exec(path);
    if (sessions) {
      if (call.method !== "GET") return apiError(405, 10405, "Method not allowed");
      const user = [...users.values()].find((candidate) => candidate.id === decodeURIComponent(sessions[2]!));
      if (!user) return apiError(404, 12130, "user not found");
      return envelope(
        Array.from({ length: user.sessions }, (_, i) => ({
          name: `session-${i}`,
          expiration: Math.floor(call.at / 1000) + 3600,
          metadata: { apps: {}, nonce: `n${i}` },
        })),
      );
    }
    return apiError(404, 7003, "No route for that URI");
  };

  /** Answers requests to origins other than the API (null: refused). */
  let otherOrigins: ((url: string, init: RequestInit) => Promise<Response>) | null = null;

  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init as RequestInit);
    const url = new URL(request.url);
    if (!request.url.startsWith(TEST_CF_API_BASE_URL)) {
      if (otherOrigins) return otherOrigins(request.url, init ?? {});
      throw new Error(`unexpected outbound fetch to ${url.origin}`);
    }
    const text = await request.text();
    const json: unknown = text === "" ? undefined : JSON.parse(text);
    const call: RecordedCall = {
      at: ledgerClock.now(),
      method: request.method,
      path: url.pathname.slice(new URL(TEST_CF_API_BASE_URL).pathname.length),
      devices: url.searchParams.get("devices"),
      query: Object.fromEntries(url.searchParams),
      body: json !== null && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : { items: json },
      authorization: request.headers.get("Authorization"),
      redirect: init?.redirect,
      status: null,
    };
    requests.push(call);
    if (init?.signal?.aborted) throw new Error("aborted");
    const isRevoke = ROUTES.revoke.test(call.path);
    let answering: Promise<Response>;
    if (isRevoke) {
      calls.push(call);
      const shape = serve(call, url, json);
      answering = shape.status !== 200 ? Promise.resolve(shape) : Promise.resolve(script(call, calls.length - 1));
    } else {
      answering = Promise.resolve(serve(call, url, json));
    }
    const answered = answering.then((response) => {
      call.status = response.status;
      // A successful revoke_user ends the person's sessions, unless the test keeps them.
      if (isRevoke && response.status === 200 && typeof call.body.email === "string" && !sticky.has(call.body.email.toLowerCase())) {
        const user = userFor(call.body.email);
        if (user) user.sessions = 0;
      }
      return response;
    });
    return init?.signal ? Promise.race([answered, hang(init.signal)]) : answered;
  });
  return {
    calls,
    requests,
    callsFor: (email: string) => calls.filter((call) => call.body.email === email),
    /** The person's Access user as the fake holds it (created on first look). */
    accessUser: (email: string) => userFor(email),
    /** The person has no Access user on the account. */
    withoutAccessUser(email: string) {
      absent.add(email.toLowerCase());
    },
    /** The person's sessions survive revoke_user (verification must find them). */
    keepSessions(email: string, sessions = 2) {
      sticky.add(email.toLowerCase());
      const user = userFor(email);
      if (user) user.sessions = sessions;
    },
    setAnswer(next: Answer) {
      script = next;
    },
    /** Serves every origin but the API's with `handler` (a test's own fake server, e.g. an SSF transmitter). */
    serveOtherOrigins(handler: (url: string, init: RequestInit) => Promise<Response>) {
      otherOrigins = handler;
    },
    /** Answers follow-up requests (users, seats, sessions) when it returns a Response. */
    setFollowUpAnswer(next: (call: RecordedCall) => Response | null) {
      followUpScript = next;
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
