// `npm run send-event -- someone@example.com [--source NAME]`: a correctly signed sample deprovisioning
// from one source, the way that identity provider sends it, to the local Worker: like `stripe trigger`,
// to try a configuration before the IdP is connected. The configuration is read as `wrangler dev` reads
// it (wrangler.toml's [vars], the dev-vars file over them) by the Worker's own parser (src/config/);
// samples and signatures are scripts/sample-events.mjs, signed by the sources' own signers.
// Shared Signals: a SET is accepted only if it is signed with a key the transmitter publishes, so
// send-event can sign one only for a transmitter whose jwks_uri is an http address on this machine, which
// it then serves for the moment of the push (its own key, kept in .wrangler/send-event/). For any other
// transmitter it says why it cannot, and what to add to try the route.
// Options: --source (default standard), --url, --dev-vars, --config (wrangler.toml), --uid, --reason,
// --transmitter (ssf, when several are configured). Exit: 0 every request accepted, 1 one was not,
// 2 usage or configuration, 3 the Worker cannot be reached.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { parse as parseToml } from "smol-toml";
import { readDevVars } from "./dev-vars.mjs";
import { SOURCES, sampleRequests, sampleSetClaims } from "./sample-events.mjs";
import { importSrc } from "./src-modules.mjs";

const { parseConfig } = await importSrc("config/index.ts");

const USAGE = `usage: npm run send-event -- someone@example.com [--source ${SOURCES.join("|")}] [--uid ID] [--reason TEXT] [--transmitter NAME] [--url URL] [--dev-vars PATH] [--config wrangler.toml]`;
const SSF_KEY_FILE = ".wrangler/send-event/ssf-signing-key.json";
const LOOPBACK = new Set(["127.0.0.1", "localhost"]);

class Refusal extends Error {
  constructor(message, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof Refusal)) throw error;
  console.error(error.message);
  process.exitCode = error.exitCode;
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        url: { type: "string", default: "http://127.0.0.1:8787" },
        "dev-vars": { type: "string", default: ".dev.vars" },
        config: { type: "string", default: "wrangler.toml" },
        source: { type: "string", default: "standard" },
        transmitter: { type: "string" },
        uid: { type: "string" },
        reason: { type: "string", default: "sent by npm run send-event" },
      },
      allowPositionals: true,
    });
  } catch (error) {
    throw new Refusal(`${error.message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const email = positionals[0];
  if (!email || positionals.length > 1) throw new Refusal(USAGE);
  if (!SOURCES.includes(values.source)) throw new Refusal(`--source must be one of ${SOURCES.join(", ")}, not "${values.source}"\n${USAGE}`);
  const config = readConfig(resolve(values.config), resolve(values["dev-vars"]), values["dev-vars"]);
  const person = { email, uid: values.uid, reason: values.reason };
  const url = values.url.replace(/\/+$/, "");

  if (values.source === "ssf") return sendSet(url, config, values.transmitter, person);
  const secret = sourceSecret(config, values.source, values["dev-vars"]);
  const requests = await sampleRequests(values.source, person, secret, config);
  if (values.source === "scim") return sendScim(url, requests, email);
  let ok = true;
  for (const request of requests) {
    const answer = await send(url, request);
    console.log(`${answer.status} ${answer.text}`);
    ok &&= answer.ok;
  }
  return ok ? 0 : 1;
}

/** The Worker's configuration as wrangler dev gives it: wrangler.toml's [vars], the dev-vars file over them. */
function readConfig(tomlPath, devVarsPath, devVarsName) {
  if (!existsSync(devVarsPath)) throw new Refusal(`${devVarsPath} does not exist: run \`npm start\` once (it creates it), or pass --dev-vars PATH`);
  let tomlVars = {};
  try {
    tomlVars = parseToml(readFileSync(tomlPath, "utf8")).vars ?? {};
  } catch (error) {
    throw new Refusal(`cannot read ${tomlPath}: ${error.message}`);
  }
  // Read as wrangler reads it (dotenv: a double-quoted \n is a line break, a single-quoted value is literal).
  const devVars = readDevVars(devVarsPath);
  const result = parseConfig({ ...tomlVars, ...devVars });
  if (!result.ok) {
    throw new Refusal(
      `The Worker's configuration (${tomlPath} and ${devVarsName}) has problems, so it answers 503 until they are fixed:\n${result.problems.map((problem) => `- ${problem}`).join("\n")}`,
    );
  }
  return result.config;
}

function sourceSecret(config, source, devVarsName) {
  const [secret] = source === "scim" ? config.scimTokens : config.webhookSecrets[source];
  if (secret) return secret;
  const variable = source === "scim" ? "SCIM_TOKEN" : `WEBHOOK_SECRET_${source.toUpperCase()}`;
  throw new Refusal(
    `${variable} is not set in ${devVarsName}, so the ${source} source is off (the Worker answers 404). Set it (any long random value will do locally, e.g. \`openssl rand -hex 32\`; ${source === "scim" ? "docs/scim.md" : "docs/providers.md"} says what the IdP gives you), restart npm start, and send again.`,
  );
}

async function send(url, request, path = request.path) {
  try {
    const response = await fetch(`${url}${path}`, { method: request.method, headers: request.headers, body: request.body });
    return { status: response.status, ok: response.ok, text: await response.text() };
  } catch (error) {
    throw new Refusal(`cannot reach ${url} (${error.cause?.code ?? error.message}): is \`npm start\` running? (or pass --url)`, 3);
  }
}

/** SCIM: create the user (or find it, and make it active), then deactivate it: the transition that revokes. */
async function sendScim(url, [create, deactivate], email) {
  let answer = await send(url, create);
  console.log(`${answer.status} POST /scim/v2/Users`);
  let id = answer.status === 201 ? JSON.parse(answer.text).id : null;
  if (answer.status === 409) {
    const filter = encodeURIComponent(`userName eq "${email}"`);
    const found = await send(url, { ...create, method: "GET", body: undefined }, `/scim/v2/Users?filter=${filter}`);
    id = found.ok ? JSON.parse(found.text).Resources?.[0]?.id : null;
    if (id) {
      const active = JSON.parse(deactivate.body);
      active.Operations[0].value = true;
      answer = await send(url, { ...deactivate, body: JSON.stringify(active) }, `/scim/v2/Users/${id}`);
      console.log(`${answer.status} PATCH /scim/v2/Users/${id} active: true (it existed)`);
    }
  }
  if (!id) {
    console.log(answer.text);
    return 1;
  }
  answer = await send(url, deactivate, `/scim/v2/Users/${id}`);
  console.log(`${answer.status} PATCH /scim/v2/Users/${id} active: false`);
  if (!answer.ok) console.log(answer.text);
  else console.log(`the revocation: npm run cli -- status ${email}`);
  return answer.ok ? 0 : 1;
}

/** Shared Signals: a signed RISC account-disabled SET pushed to /ssf/{name}, its keys served meanwhile. */
async function sendSet(url, config, wanted, person) {
  const names = [...config.ssfTransmitters.keys()];
  const localSetup = `To try POST /ssf locally, add a transmitter that send-event plays to the dev-vars file (one line), restart npm start, and send again:\n  SSF_TRANSMITTERS={"local":{"issuer":"http://127.0.0.1:8790","audience":"${url}/ssf/local","jwks_uri":"http://127.0.0.1:8790/jwks.json"}}`;
  if (names.length === 0) throw new Refusal(`SSF_TRANSMITTERS names no transmitter. ${localSetup}`);
  const name = wanted ?? (names.length === 1 ? names[0] : null);
  if (name === null) throw new Refusal(`SSF_TRANSMITTERS names ${names.join(", ")}: pass --transmitter NAME`);
  const transmitter = config.ssfTransmitters.get(name);
  if (!transmitter) throw new Refusal(`SSF_TRANSMITTERS has no transmitter "${name}" (it has ${names.join(", ")})`);
  const jwks = transmitter.jwksUri ? new URL(transmitter.jwksUri) : null;
  if (jwks?.protocol !== "http:" || !LOOPBACK.has(jwks.hostname)) {
    throw new Refusal(
      `The Worker accepts a SET from "${name}" only if it is signed with a key ${transmitter.jwksUri ?? `${transmitter.issuer}'s configuration metadata`} publishes. That key's private half is the transmitter's alone, so send-event cannot sign a SET it would accept, and should not be able to. Use the transmitter's own test (Okta: a session revocation for a test user; SSF's verification event). ${localSetup}`,
    );
  }
  if (!transmitter.algorithms.includes("ES256"))
    throw new Refusal(`"${name}" accepts only ${transmitter.algorithms.join(", ")}; send-event signs with ES256`);
  const key = await signingKey();
  const server = await serveJwks(jwks, key.publicJwk);
  try {
    const token = await new SignJWT(sampleSetClaims(transmitter, person.email))
      .setProtectedHeader({ alg: "ES256", typ: "secevent+jwt", kid: key.publicJwk.kid })
      .sign(key.privateKey);
    const headers = { "content-type": "application/secevent+jwt", accept: "application/json" };
    const [authorization] = config.ssfSecrets.get(name)?.auth ?? [];
    if (authorization) headers.authorization = authorization;
    const answer = await send(url, { method: "POST", path: `/ssf/${name}`, headers, body: token });
    // A push is answered 202 with no body (RFC 8935 §2.2): no revocation id to print, so say where it is.
    if (answer.ok) console.log(`${answer.status} POST /ssf/${name}: the SET was accepted\nthe revocation: npm run cli -- status ${person.email}`);
    else console.log(`${answer.status} ${answer.text}`);
    return answer.ok ? 0 : 1;
  } finally {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
}

/** The ES256 key send-event signs SETs with, made once and kept, so a Worker that cached its JWKS still knows it. */
async function signingKey() {
  const path = resolve(SSF_KEY_FILE);
  if (!existsSync(path)) {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify({ ...(await exportJWK(privateKey)), kid: "send-event-1", alg: "ES256" }), { mode: 0o600 });
  }
  const jwk = JSON.parse(readFileSync(path, "utf8"));
  const { d: _private, ...publicJwk } = jwk;
  return { privateKey: await importJWK(jwk, "ES256"), publicJwk: { ...publicJwk, use: "sig" } };
}

/** Serves {"keys": [key]} at the transmitter's jwks_uri (on this machine) until closed. */
async function serveJwks(jwks, publicJwk) {
  const server = createServer((request, response) => {
    const found = request.method === "GET" && request.url === jwks.pathname;
    response.writeHead(found ? 200 : 404, { "content-type": "application/json" });
    response.end(found ? JSON.stringify({ keys: [publicJwk] }) : "{}");
  });
  await new Promise((listening, failed) => {
    server.once("error", (error) =>
      failed(new Refusal(`cannot serve the keys at ${jwks.href} (${error.code ?? error.message}): is something else on port ${jwks.port}?`)),
    );
    server.listen(Number(jwks.port || 80), jwks.hostname === "localhost" ? "127.0.0.1" : jwks.hostname, listening);
  });
  return server;
}
