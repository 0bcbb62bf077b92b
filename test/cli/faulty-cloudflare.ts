// A proxy in front of the local fake Cloudflare API (scripts/fake-cloudflare-api.mjs) that breaks chosen
// revoke_user calls, so the CLI can be shown failed records, retries and target holds from a real Worker:
// - an email starting "fail-once" gets HTTP 400 on its first call per target (failed, retryable), then passes;
// - an email starting "refused" gets HTTP 403 on zone targets (Cloudflare refusing the token: a hold), until
//   fixToken() (an operator fixed the token's permissions).
// Everything else is forwarded unchanged. Listens on 127.0.0.1 only; close() stops it.
import { createServer } from "node:http";

const REVOKE = /\/(accounts|zones)\/[0-9a-f]{32}\/access\/organizations\/revoke_user$/;

export async function startFaultyCloudflare(upstreamBaseUrl: string) {
  const upstream = new URL(upstreamBaseUrl);
  const failedOnce = new Set<string>();
  let tokenFixed = false;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = request.url ?? "/";
    const revoke = REVOKE.exec(path.split("?")[0]!);
    const email = revoke ? ((JSON.parse(body.toString("utf8") || "{}") as { email?: string }).email ?? "") : "";
    const refuse = (status: number, message: string) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify({ success: false, errors: [{ code: 10000, message }], messages: [], result: null }));
    };
    if (revoke && email.startsWith("fail-once") && !failedOnce.has(`${revoke[1]} ${email}`)) {
      failedOnce.add(`${revoke[1]} ${email}`);
      return refuse(400, "injected failure");
    }
    if (revoke && email.startsWith("refused") && revoke[1] === "zones" && !tokenFixed) return refuse(403, "Authentication error");
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && name !== "host" && name !== "content-length") headers.set(name, value);
    }
    const answer = await fetch(new URL(path, upstream.origin), {
      method: request.method,
      headers,
      body: request.method === "GET" || request.method === "HEAD" ? undefined : body,
    });
    const text = await answer.text();
    const out: Record<string, string> = { "content-type": answer.headers.get("content-type") ?? "application/json" };
    const retryAfter = answer.headers.get("retry-after");
    if (retryAfter) out["retry-after"] = retryAfter;
    response.writeHead(answer.status, out);
    response.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}${upstream.pathname}`,
    fixToken: () => {
      tokenFixed = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
