// `npm run fake-graph`: the local fake of Microsoft's side of the Entra source (scripts/fake-graph.ts: the
// token endpoint, the Graph subscription, users, delta and batching) on 127.0.0.1, so the Entra source can be
// tried by hand against `npm start` without a tenant. It prints the settings for .dev.vars, then logs every
// call it answers. `POST /fake/disable/<email>` disables that user (adding them first if they are new) and
// sends the change notification to every subscription, as Entra would; the next delta round lists it too.
// Named -server: a fake-graph.mjs would be what the tests' extensionless import of fake-graph resolves to.
// Run through `npm run`: the Node it puts first on PATH (node_modules/.bin) loads the .ts as it is.
// `kill <pid>` (it prints its pid) or Ctrl-C stops it. Usage: npm run fake-graph [-- --port 8791]
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { createFakeGraph } from "./fake-graph.ts";

const USAGE = "usage: npm run fake-graph [-- --port 8791]";
let values;
try {
  ({ values } = parseArgs({ options: { port: { type: "string", default: "8791" } } }));
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0) {
  console.error(`--port must be a port number\n${USAGE}`);
  process.exit(2);
}
const origin = `http://127.0.0.1:${port}`;
const settings = {
  tenantId: randomUUID(),
  clientId: randomUUID(),
  clientSecret: `fake~${randomBytes(12).toString("hex")}`,
  loginBaseUrl: `${origin}/login`,
  graphBaseUrl: `${origin}/graph/v1.0`,
};
// Graph's validation requests and notifications go to the Worker's PUBLIC_URL/webhooks/entra.
const graph = createFakeGraph({ ...settings, deliver: (url, init) => fetch(url, init) });

const server = createServer(async (incoming, outgoing) => {
  const chunks = [];
  for await (const chunk of incoming) chunks.push(chunk);
  const url = new URL(incoming.url ?? "/", origin);
  let response;
  const disable = /^\/fake\/disable\/([^/]+)$/.exec(url.pathname);
  if (disable && incoming.method === "POST") {
    const email = decodeURIComponent(disable[1]).toLowerCase();
    const user = [...graph.users.values()].find((known) => known.mail === email) ?? graph.putUser({ mail: email });
    graph.updateUser(user.id, { accountEnabled: false });
    const statuses = await graph.notify(user.id, "updated");
    response = Response.json({ user: user.id, disabled: email, notified: statuses });
  } else {
    const headers = Object.entries(incoming.headers).filter(([name, value]) => typeof value === "string" && name !== "host");
    const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
    response = await graph.fetch(url.href, { method: incoming.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
  }
  console.log(`${new Date().toISOString()} ${incoming.method} ${url.pathname} → ${response.status}`);
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  outgoing.end(Buffer.from(await response.arrayBuffer()));
});
server.once("error", (error) => {
  console.error(`cannot listen on 127.0.0.1:${port} (${error.code ?? error.message}): pass another --port`);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => {
  console.log(`A fake Microsoft identity platform and Graph on ${origin} (pid ${process.pid}).
Point the Worker at it (PUBLIC_URL must be where this fake can reach npm start), then restart npm start:
  npm run dev-vars -- ENTRA_TENANT_ID=${settings.tenantId} ENTRA_CLIENT_ID=${settings.clientId} ENTRA_CLIENT_SECRET=${settings.clientSecret}
  npm run dev-vars -- MS_LOGIN_BASE_URL=${settings.loginBaseUrl} MS_GRAPH_BASE_URL=${settings.graphBaseUrl}
The Cron's next run creates the subscription. Disable someone (they are notified to the Worker):
  curl -X POST ${origin}/fake/disable/alice@contoso.test
Ctrl-C stops it.`);
});
