// The fake Cloudflare API (fake-cloudflare.ts: what it serves and models) over HTTP on 127.0.0.1, for the
// end-to-end, CLI and UI tests, the benchmark and `npm run fake-api`; the Worker reaches it through
// ACCESS_API_BASE_URL. A thin wrapper: each request is handed to the fake as a fetch Request and its Response
// written back; close() also ends connections whose scripted answer never came.
import { createServer } from "node:http";
import { createFakeCloudflare } from "./fake-cloudflare.ts";

/** Headers about this one connection, not the request the fake answers. */
const HOP_BY_HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

/**
 * @param {import("./fake-cloudflare.ts").FakeCloudflareOptions & { port?: number, log?: boolean }} options
 *   port: 0 (the default) for any free one; log: print every answer.
 */
export async function startFakeCloudflareApi(options = {}) {
  const { port: wanted = 0, log = false, ...fakeOptions } = options;
  const fake = createFakeCloudflare(fakeOptions);
  const server = createServer(async (incoming, outgoing) => {
    const chunks = [];
    for await (const chunk of incoming) chunks.push(chunk);
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === "string" && !HOP_BY_HOP.has(name)) headers.set(name, value);
    const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
    const request = new Request(new URL(incoming.url ?? "/", "http://127.0.0.1"), {
      method: incoming.method,
      headers,
      body: hasBody ? Buffer.concat(chunks) : undefined,
    });
    const response = await fake.handle(request);
    if (log) console.log(`${new Date().toISOString()} ${incoming.method} ${incoming.url} → ${response.status}`);
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(wanted, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  return {
    ...fake,
    baseUrl: `http://127.0.0.1:${port}${fakeOptions.basePath ?? "/client/v4"}`,
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}
