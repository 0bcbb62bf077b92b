// A local fake of Cloudflare's revoke_user endpoint for the end-to-end test and the benchmark
// (reached through CF_API_BASE_URL; listens on 127.0.0.1 only). It checks the path, the bearer token
// and the body like the real API, enforces a rate limit the way the real API does (HTTP 429 with
// Retry-After once the window's budget is spent), and records every call.
import { createServer } from "node:http";

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
  const path = /^\/client\/v4\/(accounts|zones)\/([0-9a-f]{32})\/access\/organizations\/revoke_user$/;

  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const url = new URL(request.url, "http://127.0.0.1");
    const now = Date.now();
    const reply = (status, body, headers = {}) => {
      call.status = status;
      response.writeHead(status, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify(body));
    };
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
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (request.method !== "POST" || !path.test(url.pathname)) {
      return reply(404, { success: false, errors: [{ code: 7003, message: "No route for the URI" }], messages: [], result: null });
    }
    if (request.headers.authorization !== `Bearer ${token}`) {
      return reply(403, { success: false, errors: [{ code: 10000, message: "Authentication error" }], messages: [], result: null });
    }
    const windowStart = now - windowMs;
    while (accepted.length > 0 && accepted[0] < windowStart) accepted.shift();
    if (inject429 > 0 || accepted.length >= limit) {
      if (inject429 > 0) inject429--;
      rateLimited++;
      const retryAfter = accepted.length >= limit ? Math.ceil((accepted[0] + windowMs - now) / 1000) : 1;
      return reply(
        429,
        { success: false, errors: [{ code: 10429, message: "Rate limited" }], messages: [], result: null },
        { "retry-after": String(retryAfter) },
      );
    }
    if (!body || typeof body.email !== "string") {
      return reply(400, { success: false, errors: [{ code: 12006, message: "email is required" }], messages: [], result: null });
    }
    accepted.push(now);
    reply(200, { success: true, errors: [], messages: [], result: true });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    calls,
    rateLimitedCount: () => rateLimited,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
