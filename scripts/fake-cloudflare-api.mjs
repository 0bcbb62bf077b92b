// A local fake of the Cloudflare API for the end-to-end tests, the benchmark and `npm run fake-api`
// (reached through CF_API_BASE_URL; listens on 127.0.0.1 only). It serves the endpoints the Worker uses
// with their documented shapes (unknown fields and wrong methods fail, as on the real API): revoke_user,
// Access users (GET …/access/users?email=), seats (PATCH …/access/seats) and active sessions. It checks
// the bearer token, enforces a rate limit the way the real API does (HTTP 429 with Retry-After once the
// window's budget is spent), keeps a small model of Access users (a user per email, whose sessions
// revoke_user ends), and records every call.

import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

const ROUTES = {
  revoke: /^\/client\/v4\/(accounts|zones)\/([0-9a-f]{32})\/access\/organizations\/revoke_user$/,
  users: /^\/client\/v4\/accounts\/([0-9a-f]{32})\/access\/users$/,
  seats: /^\/client\/v4\/accounts\/([0-9a-f]{32})\/access\/seats$/,
  sessions: /^\/client\/v4\/accounts\/([0-9a-f]{32})\/access\/users\/([^/]+)\/active_sessions$/,
};
const USER_QUERY = new Set(["email", "name", "page", "per_page"]);

/**
 * @param {{ token: string, limit?: number, windowMs?: number, inject429?: number, latencyMs?: number }} options
 *   limit/windowMs: the budget (the real API: 1200 per 300 000 ms); inject429: answer the first N calls 429.
 */
export async function startFakeCloudflareApi(options) {
  const { token, limit = Infinity, windowMs = 300_000, latencyMs = 0 } = options;
  let inject429 = options.inject429 ?? 0;
  const calls = [];
  const accepted = [];
  let rateLimited = 0;
  /** email → Access user (created on first look: everyone has logged in through Access once). */
  const users = new Map();
  const byId = new Map();
  const bySeat = new Map();
  const userFor = (email) => {
    const key = email.toLowerCase();
    if (!users.has(key)) {
      const user = { id: randomUUID(), seat_uid: randomUUID(), access_seat: true, gateway_seat: true, sessions: 1, email: key };
      users.set(key, user);
      byId.set(user.id, user);
      bySeat.set(user.seat_uid, user);
    }
    return users.get(key);
  };
  const envelope = (result) => ({ success: true, errors: [], messages: [], result });
  const failure = (code, message) => ({ success: false, errors: [{ code, message }], messages: [], result: null });

  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const url = new URL(request.url, "http://127.0.0.1");
    const now = Date.now();
    let body = null;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {}
    const call = {
      at: now,
      method: request.method,
      path: url.pathname,
      devices: url.searchParams.get("devices"),
      body,
      authorization: request.headers.authorization ?? null,
      status: null,
    };
    calls.push(call);
    const reply = (status, payload, headers = {}) => {
      call.status = status;
      response.writeHead(status, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify(payload));
    };
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const route = Object.entries(ROUTES).find(([, pattern]) => pattern.test(url.pathname))?.[0];
    if (!route) return reply(404, failure(7003, "No route for the URI"));
    const method = { revoke: "POST", users: "GET", seats: "PATCH", sessions: "GET" }[route];
    if (request.method !== method) return reply(405, failure(10405, "Method not allowed"));
    if (request.headers.authorization !== `Bearer ${token}`) return reply(403, failure(10000, "Authentication error"));
    const windowStart = now - windowMs;
    while (accepted.length > 0 && accepted[0] < windowStart) accepted.shift();
    if (inject429 > 0 || accepted.length >= limit) {
      if (inject429 > 0) inject429--;
      rateLimited++;
      const retryAfter = accepted.length >= limit ? Math.ceil((accepted[0] + windowMs - now) / 1000) : 1;
      return reply(429, failure(10429, "Rate limited"), { "retry-after": String(retryAfter) });
    }
    if (route === "revoke") {
      const keys = body && typeof body === "object" ? Object.keys(body) : [];
      if (!body || typeof body.email !== "string" || keys.some((key) => !["email", "user_uid", "warp_session_reauth"].includes(key))) {
        return reply(400, failure(12006, "invalid request body"));
      }
      accepted.push(now);
      userFor(body.email).sessions = 0;
      return reply(200, envelope(true));
    }
    if (route === "users") {
      if ([...url.searchParams.keys()].some((key) => !USER_QUERY.has(key))) return reply(400, failure(12000, "unknown query parameter"));
      accepted.push(now);
      const email = url.searchParams.get("email") ?? "";
      const user = userFor(email);
      return reply(
        200,
        envelope([
          {
            id: user.id,
            email,
            seat_uid: user.seat_uid,
            access_seat: user.access_seat,
            gateway_seat: user.gateway_seat,
            last_successful_login: "2026-01-01T00:00:00Z",
          },
        ]),
      );
    }
    if (route === "seats") {
      const valid = Array.isArray(body) && body.every((seat) => seat && Object.keys(seat).sort().join() === "access_seat,gateway_seat,seat_uid");
      if (!valid) return reply(400, failure(12000, "invalid seats body"));
      accepted.push(now);
      for (const seat of body) {
        const user = bySeat.get(seat.seat_uid);
        if (user) Object.assign(user, { access_seat: seat.access_seat, gateway_seat: seat.gateway_seat });
      }
      return reply(200, envelope(body.map((seat) => ({ ...seat, updated_at: new Date(now).toISOString() }))));
    }
    const userId = decodeURIComponent(ROUTES.sessions.exec(url.pathname)[2]);
    const user = byId.get(userId);
    if (!user) return reply(404, failure(12130, "user not found"));
    accepted.push(now);
    return reply(
      200,
      envelope(Array.from({ length: user.sessions }, (_, i) => ({ name: `session-${i}`, expiration: Math.floor(now / 1000) + 3600 }))),
    );
  });
  await new Promise((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    calls,
    /** revoke_user calls only. */
    revocations: () => calls.filter((call) => ROUTES.revoke.test(call.path)),
    rateLimitedCount: () => rateLimited,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
