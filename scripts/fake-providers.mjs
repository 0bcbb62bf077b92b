// `node scripts/fake-providers.mjs`: a local Shared Signals transmitter with stream management and a local
// Google (token endpoint, Admin SDK watch and stop) on 127.0.0.1, so the managed connections (issue #20) can
// be tried by hand against `npm start`: it prints the settings for .dev.vars, then logs every call. The
// shapes are the ones the workerd tests' fakes document (test/helpers/ssf-stream-management.ts,
// test/helpers/google-fake.ts); this one also does what a real provider does on its own:
// - the transmitter signs and pushes a verification SET (SSF 1.0 §8.1.4.1, carrying the `state` asked for)
//   to the stream's endpoint with its authorization header, a second after the verification request;
// - Google POSTs the sync message (X-Goog-Resource-State: sync) to a channel's address as it creates it.
// It keeps nothing between runs: each start makes new credentials, keys and an empty list of streams, so
// after a restart the Worker needs the newly printed settings (and recreates its stream).
// `kill <pid>` (it prints its pid) or Ctrl-C stops it. Usage: node scripts/fake-providers.mjs [--port 8790]
//   [--worker http://127.0.0.1:8787]
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { exportJWK, exportPKCS8, generateKeyPair, jwtVerify, SignJWT } from "jose";

const { values } = parseArgs({
  options: { port: { type: "string", default: "8790" }, worker: { type: "string", default: "http://127.0.0.1:8787" } },
});
const port = Number(values.port);
const origin = `http://127.0.0.1:${port}`;
const worker = values.worker.replace(/\/+$/, "");
const issuer = `${origin}/tx`;
const MANAGE_AUTH = `Bearer local-manage-${randomUUID()}`;
const PUSH_AUTH = `Bearer local-push-${randomUUID()}`;
const ADMIN = "admin@example.com";

const signing = await generateKeyPair("RS256", { extractable: true });
const jwk = { ...(await exportJWK(signing.publicKey)), kid: "local-1", alg: "RS256", use: "sig" };
const account = await generateKeyPair("RS256", { extractable: true });
const keyFile = JSON.stringify({
  type: "service_account",
  private_key_id: "local-key-1",
  private_key: await exportPKCS8(account.privateKey),
  client_email: "revoker@local.iam.gserviceaccount.com",
  token_uri: `${origin}/google/token`,
});

const streams = new Map();
const channels = new Map();
const tokens = new Set();
let next = 1;

const json = (response, status, body) => {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(body === undefined ? "" : JSON.stringify(body));
};
const shown = ({ authorization_header: _, ...delivery }, stream) => ({ ...stream, delivery });

async function pushVerification(stream, state) {
  const set = await new SignJWT({
    iss: issuer,
    aud: stream.aud,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    sub_id: { format: "opaque", id: stream.stream_id },
    events: { "https://schemas.openid.net/secevent/ssf/event-type/verification": { state } },
  })
    .setProtectedHeader({ alg: "RS256", kid: "local-1", typ: "secevent+jwt" })
    .sign(signing.privateKey);
  const headers = {
    "content-type": "application/secevent+jwt",
    ...(stream.delivery.authorization_header ? { authorization: stream.delivery.authorization_header } : {}),
  };
  const answer = await fetch(stream.delivery.endpoint_url, { method: "POST", headers, body: set }).catch((error) => ({ status: String(error) }));
  console.log(`pushed the verification event for ${stream.stream_id} → ${answer.status}`);
}

async function transmitter(request, response, url, body) {
  if (url.pathname === "/.well-known/ssf-configuration/tx") {
    return json(response, 200, {
      spec_version: "1_0",
      issuer,
      jwks_uri: `${origin}/tx/jwks`,
      delivery_methods_supported: ["urn:ietf:rfc:8935"],
      configuration_endpoint: `${origin}/tx/streams`,
      status_endpoint: `${origin}/tx/status`,
      verification_endpoint: `${origin}/tx/verify`,
    });
  }
  if (url.pathname === "/tx/jwks") return json(response, 200, { keys: [jwk] });
  if (request.headers.authorization !== MANAGE_AUTH) return json(response, 401, { error: "invalid_token" });
  const id = url.searchParams.get("stream_id") ?? body?.stream_id;
  const stream = streams.get(id);
  if (url.pathname === "/tx/streams" && request.method === "POST") {
    const created = { stream_id: `stream-${next++}`, aud: body.delivery.endpoint_url, status: "enabled", ...body };
    streams.set(created.stream_id, created);
    return json(response, 201, shown(created.delivery, created));
  }
  if (url.pathname === "/tx/streams" && request.method === "GET" && !id)
    return json(
      response,
      200,
      [...streams.values()].map((each) => shown(each.delivery, each)),
    );
  if (!stream) return json(response, 404, { error: "not_found" });
  if (url.pathname === "/tx/streams" && request.method === "GET") return json(response, 200, shown(stream.delivery, stream));
  if (url.pathname === "/tx/streams" && request.method === "PATCH") {
    Object.assign(stream, body);
    return json(response, 200, shown(stream.delivery, stream));
  }
  if (url.pathname === "/tx/status" && request.method === "GET") return json(response, 200, { stream_id: stream.stream_id, status: stream.status });
  if (url.pathname === "/tx/status" && request.method === "POST") {
    stream.status = body.status;
    return json(response, 200, { stream_id: stream.stream_id, status: stream.status });
  }
  if (url.pathname === "/tx/verify" && request.method === "POST") {
    setTimeout(() => pushVerification(stream, body.state), 1000);
    return json(response, 204);
  }
  return json(response, 404, { error: "not_found" });
}

async function google(request, response, url, body) {
  if (url.pathname === "/google/token") {
    const form = new URLSearchParams(body);
    try {
      await jwtVerify(form.get("assertion") ?? "", account.publicKey, { audience: `${origin}/google/token` });
    } catch {
      return json(response, 400, { error: "invalid_grant" });
    }
    const token = `ya29.local-${randomUUID()}`;
    tokens.add(token);
    return json(response, 200, { access_token: token, token_type: "Bearer", expires_in: 3599 });
  }
  if (!tokens.has((request.headers.authorization ?? "").replace(/^Bearer /, ""))) return json(response, 401, { error: { code: 401 } });
  if (url.pathname === "/google/admin/reports/v1/activity/users/all/applications/admin/watch") {
    const channel = {
      id: body.id,
      resourceId: `res-${next++}`,
      token: body.token,
      address: body.address,
      expiration: Math.min(Number(body.expiration), Date.now() + 6 * 3_600_000),
    };
    channels.set(channel.id, channel);
    const sync = await fetch(channel.address, {
      method: "POST",
      headers: {
        "X-Goog-Channel-ID": channel.id,
        "X-Goog-Channel-Token": channel.token,
        "X-Goog-Resource-State": "sync",
        "X-Goog-Message-Number": "1",
        "X-Goog-Resource-ID": channel.resourceId,
      },
    }).catch((error) => ({ status: String(error) }));
    console.log(`sent the sync message on ${channel.id} → ${sync.status}`);
    return json(response, 200, { kind: "api#channel", id: channel.id, resourceId: channel.resourceId, expiration: String(channel.expiration) });
  }
  if (url.pathname === "/google/admin/reports_v1/channels/stop") {
    return channels.delete(body.id) ? json(response, 204) : json(response, 404, { error: { code: 404 } });
  }
  return json(response, 404, { error: { code: 404 } });
}

const server = createServer(async (request, response) => {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  const url = new URL(request.url, origin);
  console.log(`${request.method} ${url.pathname}${url.search}`);
  let body = text;
  if ((request.headers["content-type"] ?? "").includes("json") && text !== "") body = JSON.parse(text);
  try {
    await (url.pathname.startsWith("/google/") ? google : transmitter)(request, response, url, body);
  } catch (error) {
    json(response, 500, { error: String(error) });
  }
});
server.listen(port, "127.0.0.1", () => {
  const transmitters = JSON.stringify({ local: { issuer, audience: `${worker}/ssf/local`, manage: { bearer: true, verify_every_seconds: 300 } } });
  const lines = [
    `PUBLIC_URL=${worker}`,
    // Single quotes: .dev.vars (dotenv) takes the JSON as it is, its \n escapes included.
    `SSF_TRANSMITTERS='${transmitters}'`,
    `SSF_MANAGE_AUTH_LOCAL="${MANAGE_AUTH}"`,
    `SSF_AUTH_LOCAL="${PUSH_AUTH}"`,
    `GOOGLE_SERVICE_ACCOUNT_KEY='${keyFile}'`,
    `GOOGLE_ADMIN_EMAIL=${ADMIN}`,
    `GOOGLE_OAUTH_TOKEN_URL=${origin}/google/token`,
    `GOOGLE_ADMIN_API_BASE_URL=${origin}/google`,
  ];
  console.log(`Fake SSF transmitter and Google on ${origin} (pid ${process.pid}; kill ${process.pid} stops it).
Add these lines to .dev.vars, restart npm start, then trigger the Cron (npm start -- -- --test-scheduled;
curl ${worker}/__scheduled) twice a minute apart and read /healthz, npm run cli -- sources:
${lines.join("\n")}`);
});
