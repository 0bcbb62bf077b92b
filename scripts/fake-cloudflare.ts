// The one fake of the Cloudflare API: a handler `(Request) => Promise<Response>` over its own state, so each
// behaviour of Cloudflare is modelled once. The workerd tests install it as the ledger's `fetch`
// (test/helpers/fake-cloudflare.ts); the end-to-end, CLI and UI tests, the benchmark and `npm run fake-api`
// serve it over HTTP on 127.0.0.1 (fake-cloudflare-api.mjs).
// What it serves, with the shapes of the Cloudflare API reference (developers.cloudflare.com/api/resources/
// zero_trust/subresources/access/…; the Worker's side is src/cloudflare/*.ts), refusing anything else the way
// the real API does (unknown fields, unknown query parameters, wrong methods, unknown routes):
// - POST  {accounts|zones}/{id}/access/organizations/revoke_user?devices=  body {email, user_uid?, warp_session_reauth?}
// - GET   accounts/{id}/access/users?email=&name=&page=&per_page=         → [{id, email, name, seat_uid, access_seat, gateway_seat,
//         last_successful_login, active_device_count}]; without email, every user a page at a time (by email;
//         page from 1, per_page default 25) with result_info {page, per_page, count, total_count, total_pages}
// - PATCH accounts/{id}/access/seats                                      body [{access_seat, gateway_seat, seat_uid}]
// - GET   accounts/{id}/access/users/{user_id}/active_sessions            → [{name, expiration, metadata}]
// Every answer is the v4 envelope {success, errors: [{code, message}], messages, result}.
// What it models:
// - Access users: one per email, made on first look (everyone has logged in through Access once) unless a
//   test says the person has none; revoke_user ends their sessions unless a test keeps them (verification
//   must then find them); a seat update changes their seats. A test may sign someone in again (a later
//   last_successful_login), give them a seat, add many users or remove some (the list changes between pages).
// - Tokens: when `tokens` is given, any other bearer token is refused with 403, code 10000 "Authentication
//   error", as the API refuses a token it does not know; refuseTarget() refuses every call at one account or
//   zone the same way, as it does once a token loses its permission there.
// - Rate limits, per token (developers.cloudflare.com/fundamentals/api/reference/limits: 1200 calls per five
//   minutes per user, "all API calls for the next five minutes will be blocked" past it). Two windows:
//   "fixed", as Cloudflare documents it (t is "the time next window resets"): a token's window opens with its
//   first call after the last one closed and lasts `windowSeconds`, and holds `quota` calls; and "sliding"
//   (no more than `quota` calls in any `windowSeconds`: the strictest limiter, which the benchmark's
//   fixed-pace phases are held to). Past the quota a call is answered 429 with Retry-After (seconds, rounded
//   up, until capacity is back), `Ratelimit: "default";r=<remaining>;t=<seconds to reset>` and
//   `Ratelimit-Policy: "default";q=<quota>;w=<window>`. Cloudflare returns the two Ratelimit headers on every
//   answer, and so does the fake unless `reportRateLimit` is false (then only on a 429: an API that says
//   nothing until it refuses). spendBudget() is a second client spending the same token's budget (the
//   dashboard, another tool: Cloudflare counts per user); budgetWindows() lists each fixed window's calls, the
//   Worker's and the second client's apart.
// - Faults, injected: the first `inject429` calls are answered 429 (Retry-After 1); `latencyMs` delays every
//   answer; setAnswer() scripts revoke_user's answers (after its shape is checked), setFollowUpAnswer() the
//   others' (before the model answers). A scripted answer may never resolve: a hung connection.
// Every request is recorded with the fake's clock (`now`), revoke_user calls apart.
// Contract: no I/O but the answers; TypeScript with erasable syntax only and no relative imports, so Node
// loads it as it is (scripts/*.mjs) and workerd through Vitest.
import * as z from "zod/mini";

/** One request as the fake received it. */
export type FakeCall = {
  /** When the call arrived, on the fake's clock. */
  at: number;
  method: string;
  /** The path under the API's base path: "/accounts/<id>/access/organizations/revoke_user". */
  path: string;
  devices: string | null;
  /** The query string's parameters. */
  query: Record<string, string>;
  /** The JSON body: an object as sent, anything else (an array, nothing) as {items}. */
  body: Record<string, unknown>;
  authorization: string | null;
  /** The fetch's redirect mode ("manual": the Worker's client never follows one; seen where its fetch is handed over). */
  redirect: string;
  /** The status the fake answered (null until it did). */
  status: number | null;
};

/** Answers the `index`-th revoke_user call (or a follow-up); a Response, or a promise of one. */
export type Answer = (call: FakeCall, index: number) => Response | Promise<Response>;

/** An Access user as the fake keeps it (per email; one account's worth of users for every account). */
type FakeAccessUser = {
  id: string;
  email: string;
  seat_uid: string;
  access_seat: boolean;
  gateway_seat: boolean;
  last_successful_login: string;
  active_device_count: number;
  sessions: number;
};

/** What a test may change about an Access user. */
type AccessUserChange = Partial<Pick<FakeAccessUser, "access_seat" | "gateway_seat" | "last_successful_login" | "active_device_count">>;

/** The page size the list answers when no per_page is asked for. */
const DEFAULT_PER_PAGE = 25;

export type FakeCloudflareOptions = {
  /** The API's path prefix, what ACCESS_API_BASE_URL ends in. */
  basePath?: string;
  /** The fake's clock, in ms: when calls arrive and windows end. */
  now?: () => number;
  /** The tokens it takes; unset: any. */
  tokens?: string[];
  /** Each token's budget (`window`: "fixed", the default, as Cloudflare documents it, or "sliding"); unset: unlimited. */
  rateLimit?: { quota: number; windowSeconds: number; window?: "fixed" | "sliding" };
  /** Ratelimit and Ratelimit-Policy on every answer, as Cloudflare sends them (the default); false: only on a 429. */
  reportRateLimit?: boolean;
  /** Answer the first N calls 429. */
  inject429?: number;
  /** Delay every answer this long. */
  latencyMs?: number;
};

export function envelope(result: unknown, status = 200, headers: Record<string, string> = {}, resultInfo?: unknown): Response {
  return Response.json(
    { success: status < 400, result, errors: [], messages: [], ...(resultInfo === undefined ? {} : { result_info: resultInfo }) },
    { status, headers },
  );
}

export function apiError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ success: false, result: null, errors: [{ code, message }], messages: [] }, { status, headers });
}

/** One fixed window of a token's budget: when it opened and closes, and the calls it took from the Worker and from the second client. */
export type BudgetWindow = { opensAt: number; closesAt: number; admitted: number; byOthers: number };

/** An answer that never comes until `signal` aborts (a hung connection). */
export function hang(signal: AbortSignal | null | undefined): Promise<Response> {
  return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted"))));
}

const RevokeBody = z.strictObject({ email: z.string(), user_uid: z.optional(z.string()), warp_session_reauth: z.optional(z.boolean()) });
const SeatsBody = z.array(z.strictObject({ access_seat: z.boolean(), gateway_seat: z.boolean(), seat_uid: z.string() }));
const UsersQuery = z.strictObject({
  email: z.optional(z.string()),
  name: z.optional(z.string()),
  page: z.optional(z.string()),
  per_page: z.optional(z.string()),
});

const ROUTES = {
  revoke: { pattern: /^\/(accounts|zones)\/([0-9a-f]{32})\/access\/organizations\/revoke_user$/, method: "POST" },
  users: { pattern: /^\/(accounts)\/([0-9a-f]{32})\/access\/users$/, method: "GET" },
  seats: { pattern: /^\/(accounts)\/([0-9a-f]{32})\/access\/seats$/, method: "PATCH" },
  sessions: { pattern: /^\/(accounts)\/([0-9a-f]{32})\/access\/users\/([^/]+)\/active_sessions$/, method: "GET" },
} as const;
type Route = keyof typeof ROUTES;

const AUTHENTICATION_ERROR = 10000;

export function createFakeCloudflare(options: FakeCloudflareOptions = {}) {
  const basePath = options.basePath ?? "/client/v4";
  const now = options.now ?? Date.now;
  const tokens = options.tokens ? new Set(options.tokens) : null;
  let inject429 = options.inject429 ?? 0;
  /** revoke_user calls (what most tests count). */
  const calls: FakeCall[] = [];
  /** Every request, follow-ups included. */
  const requests: FakeCall[] = [];
  let revokeAnswer: Answer = () => envelope(true);
  let followUpAnswer: (call: FakeCall) => Response | null = () => null;
  let rateLimited = 0;
  const users = new Map<string, FakeAccessUser>();
  /** Emails with no Access user at all (never logged in through Access). */
  const absent = new Set<string>();
  /** Emails whose sessions survive revoke_user (the IdP keeps issuing them). */
  const sticky = new Set<string>();
  /** Targets ("accounts/<id>", "zones/<id>") where every call is refused. */
  const refusedTargets = new Set<string>();
  /** Per token, sliding: when its admitted calls arrived, oldest first (the window's contents). */
  const windows = new Map<string, number[]>();
  /** Per token, fixed: its windows, the current one last. */
  const fixedWindows = new Map<string, BudgetWindow[]>();
  const reportRateLimit = options.reportRateLimit ?? true;

  const userFor = (email: string): FakeAccessUser | null => {
    const key = email.toLowerCase();
    if (absent.has(key)) return null;
    let user = users.get(key);
    if (!user) {
      user = {
        id: crypto.randomUUID(),
        email: key,
        seat_uid: crypto.randomUUID(),
        access_seat: true,
        gateway_seat: true,
        last_successful_login: "2026-01-01T00:00:00Z",
        active_device_count: 0,
        sessions: 1,
      };
      users.set(key, user);
    }
    return user;
  };

  /** The token's fixed window at `at` (a new one opens when the last closed), and how much of it is left. */
  const fixedWindow = (token: string, at: number, windowMs: number): BudgetWindow => {
    const list = fixedWindows.get(token) ?? [];
    fixedWindows.set(token, list);
    let current = list[list.length - 1];
    if (!current || current.closesAt <= at) {
      current = { opensAt: at, closesAt: at + windowMs, admitted: 0, byOthers: 0 };
      list.push(current);
    }
    return current;
  };

  /**
   * Admits a call within its token's budget (`other`: the second client's), or answers why not; the headers
   * report the budget after it.
   */
  const admitWithin = (token: string, at: number, other: boolean): { admitted: boolean; headers: Record<string, string>; resetSeconds: number } => {
    const limit = options.rateLimit!;
    const windowMs = limit.windowSeconds * 1000;
    let used: number;
    let resetsAt: number;
    let admitted: boolean;
    if ((limit.window ?? "fixed") === "fixed") {
      const window = fixedWindow(token, at, windowMs);
      admitted = window.admitted + window.byOthers < limit.quota;
      if (admitted) {
        if (other) window.byOthers++;
        else window.admitted++;
      }
      used = window.admitted + window.byOthers;
      resetsAt = window.closesAt;
    } else {
      const arrivals = windows.get(token) ?? [];
      windows.set(token, arrivals);
      // A call leaves the window windowSeconds after it arrived, so Retry-After's moment is one a call is taken at.
      while (arrivals.length > 0 && arrivals[0]! <= at - windowMs) arrivals.shift();
      admitted = arrivals.length < limit.quota;
      if (admitted) arrivals.push(at);
      used = arrivals.length;
      resetsAt = arrivals.length > 0 ? arrivals[0]! + windowMs : at;
    }
    const resetSeconds = Math.max(Math.ceil((resetsAt - at) / 1000), 0);
    const headers = {
      Ratelimit: `"default";r=${Math.max(limit.quota - used, 0)};t=${resetSeconds}`,
      "Ratelimit-Policy": `"default";q=${limit.quota};w=${limit.windowSeconds}`,
    };
    return { admitted, headers, resetSeconds };
  };

  /** Admits a call within its token's budget, or answers why not; the headers report the budget. */
  const admit = (token: string, at: number): { refused: Response | null; headers: Record<string, string> } => {
    if (inject429 > 0) {
      inject429--;
      rateLimited++;
      return { refused: apiError(429, 10429, "Rate limited", { "Retry-After": "1" }), headers: {} };
    }
    if (!options.rateLimit) return { refused: null, headers: {} };
    const { admitted, headers, resetSeconds } = admitWithin(token, at, false);
    if (admitted) return { refused: null, headers: reportRateLimit ? headers : {} };
    rateLimited++;
    return { refused: apiError(429, 10429, "Rate limited", { ...headers, "Retry-After": String(resetSeconds) }), headers: {} };
  };

  const serveFollowUp = (route: Exclude<Route, "revoke">, call: FakeCall, match: RegExpExecArray, json: unknown): Response => {
    if (route === "users") {
      const query = UsersQuery.safeParse(call.query);
      if (!query.success) return apiError(400, 12000, "unknown query parameter");
      const listed = (user: FakeAccessUser) => ({
        id: user.id,
        email: user.email,
        name: user.email.split("@")[0],
        seat_uid: user.seat_uid,
        access_seat: user.access_seat,
        gateway_seat: user.gateway_seat,
        last_successful_login: user.last_successful_login,
        active_device_count: user.active_device_count,
      });
      if (query.data.email !== undefined) {
        const user = userFor(query.data.email);
        return envelope(user ? [listed(user)] : []);
      }
      const page = Math.max(1, Number(query.data.page ?? 1) || 1);
      const perPage = Math.max(1, Number(query.data.per_page ?? DEFAULT_PER_PAGE) || DEFAULT_PER_PAGE);
      const all = [...users.values()].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
      const result = all.slice((page - 1) * perPage, page * perPage).map(listed);
      return envelope(
        result,
        200,
        {},
        { page, per_page: perPage, count: result.length, total_count: all.length, total_pages: Math.ceil(all.length / perPage) },
      );
    }
    if (route === "seats") {
      const body = SeatsBody.safeParse(json);
      if (!body.success) return apiError(400, 12000, "invalid seats body");
      const updated = body.data.map((seat) => {
        const user = [...users.values()].find((candidate) => candidate.seat_uid === seat.seat_uid);
        if (user) Object.assign(user, { access_seat: seat.access_seat, gateway_seat: seat.gateway_seat });
        return { ...seat, created_at: "2026-01-01T00:00:00Z", updated_at: new Date(call.at).toISOString() };
      });
      return envelope(updated);
    }
    const user = [...users.values()].find((candidate) => candidate.id === decodeURIComponent(match[3]!));
    if (!user) return apiError(404, 12130, "user not found");
    return envelope(
      Array.from({ length: user.sessions }, (_, i) => ({
        name: `session-${i}`,
        expiration: Math.floor(call.at / 1000) + 3600,
        metadata: { apps: {}, nonce: `n${i}` },
      })),
    );
  };

  /** `index`: the call's place among revoke_user calls (-1 for the others). */
  const answer = async (call: FakeCall, index: number, json: unknown): Promise<Response> => {
    const entry = (Object.entries(ROUTES) as [Route, (typeof ROUTES)[Route]][]).find(([, route]) => route.pattern.test(call.path));
    if (!entry) return apiError(404, 7003, "No route for that URI");
    const [route, { pattern, method }] = entry;
    const match = pattern.exec(call.path)!;
    if (call.method !== method) return apiError(405, 10405, "Method not allowed");
    const token = call.authorization?.replace(/^Bearer /, "") ?? "";
    if (tokens && !tokens.has(token)) return apiError(403, AUTHENTICATION_ERROR, "Authentication error");
    if (refusedTargets.has(`${match[1]}/${match[2]}`)) return apiError(403, AUTHENTICATION_ERROR, "Authentication error");
    const { refused, headers } = admit(token, call.at);
    if (refused) return refused;
    const answered = route === "revoke" ? await answerRevoke(call, index, json) : (followUpAnswer(call) ?? serveFollowUp(route, call, match, json));
    for (const [name, value] of Object.entries(headers)) if (!answered.headers.has(name)) answered.headers.set(name, value);
    return answered;
  };

  const answerRevoke = async (call: FakeCall, index: number, json: unknown): Promise<Response> => {
    if (!RevokeBody.safeParse(json).success) return apiError(400, 12006, "invalid request body");
    const response = await revokeAnswer(call, index);
    // A successful revoke_user ends the person's sessions, unless the test keeps them.
    if (response.status === 200 && typeof call.body.email === "string" && !sticky.has(call.body.email.toLowerCase())) {
      const user = userFor(call.body.email);
      if (user) user.sessions = 0;
    }
    return response;
  };

  return {
    calls,
    requests,
    /** The fake as a fetch handler: records the request, then answers it. */
    async handle(request: Request): Promise<Response> {
      const url = new URL(request.url);
      const text = await request.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      const call: FakeCall = {
        at: now(),
        method: request.method,
        path: url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname,
        devices: url.searchParams.get("devices"),
        query: Object.fromEntries(url.searchParams),
        body: json !== null && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : { items: json },
        authorization: request.headers.get("Authorization"),
        redirect: request.redirect,
        status: null,
      };
      requests.push(call);
      const index = ROUTES.revoke.pattern.test(call.path) ? calls.push(call) - 1 : -1;
      if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
      const response = await answer(call, index, json);
      call.status = response.status;
      return response;
    },
    callsFor: (email: string) => calls.filter((call) => call.body.email === email),
    /** How many calls the fake answered 429 (the Worker's; the second client's are spendBudget's answer). */
    rateLimitedCount: () => rateLimited,
    /**
     * A second client spends `calls` of `token`'s budget now, as the dashboard or another tool using the same
     * user's token would; answers how many the budget took (the rest it refused, as it would with 429).
     */
    spendBudget(token: string, calls = 1): number {
      if (!options.rateLimit) return calls;
      let taken = 0;
      for (let i = 0; i < calls; i++) if (admitWithin(token, now(), true).admitted) taken++;
      return taken;
    },
    /** The token's fixed windows so far, oldest first (empty for a sliding or no limit). */
    budgetWindows: (token: string): BudgetWindow[] => (fixedWindows.get(token) ?? []).map((window) => ({ ...window })),
    /** The person's Access user as the fake holds it (created on first look). */
    accessUser: (email: string) => userFor(email),
    /** The person has no Access user on the account. */
    withoutAccessUser(email: string) {
      absent.add(email.toLowerCase());
      users.delete(email.toLowerCase());
    },
    /** Changes the person's Access user (made if need be): a later login, a seat, devices. */
    changeAccessUser(email: string, change: AccessUserChange) {
      const user = userFor(email);
      if (user) Object.assign(user, change);
    },
    /** Adds `count` Access users named `<prefix><n>@example.com`, last seen `login` (one list for every account). */
    addAccessUsers(count: number, prefix: string, login = "2026-01-01T00:00:00Z") {
      for (let n = 0; n < count; n++) {
        const user = userFor(`${prefix}${String(n).padStart(6, "0")}@example.com`);
        if (user) user.last_successful_login = login;
      }
    },
    /** How many Access users the list has. */
    accessUserCount: () => users.size,
    /** The person's sessions survive revoke_user (verification must find them); `sessions` sets how many they have. */
    keepSessions(email: string, sessions?: number) {
      sticky.add(email.toLowerCase());
      const user = userFor(email);
      if (user && sessions !== undefined) user.sessions = sessions;
    },
    /** Every call at "accounts/<id>" or "zones/<id>" is refused with 403 from now on (the token lost its permission there). */
    refuseTarget(target: string) {
      refusedTargets.add(target);
    },
    /** Scripts revoke_user's answers (after its shape is checked); the default succeeds. */
    setAnswer(next: Answer) {
      revokeAnswer = next;
    },
    /** Answers follow-up requests (users, seats, sessions) instead of the model when it returns a Response. */
    setFollowUpAnswer(next: (call: FakeCall) => Response | null) {
      followUpAnswer = next;
    },
  };
}
