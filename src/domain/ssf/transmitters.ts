// SSF_TRANSMITTERS: the Shared Signals transmitters this Worker accepts Security Event Tokens from.
// A JSON object keyed by transmitter name (1–28 of a-z 0-9 _ -, the `{transmitter}` of POST /ssf/{transmitter};
// its events are recorded under the source "ssf-<name>", sources/registry.ts):
//   { "okta": { "issuer": "https://example.okta.com", "audience": "https://revoker.example.com/ssf/okta" } }
// Each entry: issuer (https; http only for localhost/127.0.0.1), audience (string or list: a SET is accepted
// when its aud names any of them), jwks_uri (else discovered, see ssf/jwks.ts), events (event-type URIs that
// deprovision; default RISC account-disabled, RISC account-purged, CAEP session-revoked), credential_change
// (adds CAEP credential-change), algorithms (asymmetric JWS algorithms only: HMAC
// would need a shared secret, and `none` is no signature at all), jwks_min_refresh_seconds (the least time
// between two fetches of its keys, default 60: the bound on what a flood of unknown kids can cost, ssf/jwks.ts).
// poll ({"endpoint": url, "max_events": 1–100, default 20}) turns on poll delivery (RFC 8936): the Cron Trigger
// polls the endpoint every minute (ssf/poll-streams.ts) with the Authorization header in SSF_POLL_AUTH_<NAME>,
// or, with "token_endpoint" and "client_id" (and optionally "scope"), with an access token it obtains by the
// OAuth client credentials grant, the client secret in SSF_POLL_CLIENT_SECRET_<NAME> (ssf/poll-token.ts).
// manage (see ManageSchema) has the Worker create, repair and verify its push stream itself (issue #20).
// push (boolean) says whether POST /ssf/<name> accepts pushed SETs (RFC 8935). Its default keeps every
// existing configuration's meaning for the one delivery method an SSF stream has (SSF 1.0 §8.1.1): a
// transmitter without `poll` pushes, one with `poll` does not, so a forger cannot make the Worker hold SETs
// for a transmitter that never pushes. `"push": true` beside `poll` accepts both; `"push": false` needs poll.
// - SSF 1.0 §7.1: the issuer is an https URL "with no query or fragment component"; jwks_uri "MUST use HTTP
//   over TLS". The issuer is kept exactly as written: SSF 1.0 §4.1.6 compares `iss` with it as a string.
// - The optional push credential lives in its own secret, SSF_AUTH_<NAME> (see ssfAuthSecretVariable): it is
//   the `authorization_header` the receiver hands the transmitter when creating the stream (SSF 1.0 §6.1.1).
// Contract: pure. Problems read "SSF_TRANSMITTERS: <what is wrong>" and never contain a configured value.
// config/ reads SSF_TRANSMITTERS through ssfTransmittersVariable; like all of domain/, this file imports
// only the domain (test/architecture.test.ts holds it to that).
import * as z from "zod/mini";
import "../validation"; // zod's English messages (e.g. 'Unrecognized key: "audiences"' for a misspelt option)
import { CAEP_CREDENTIAL_CHANGE, DEFAULT_DEPROVISIONING_EVENTS } from "./event-types";

const SSF_TRANSMITTERS_VARIABLE = "SSF_TRANSMITTERS";

export const SSF_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

export const DEFAULT_JWKS_MIN_REFRESH_SECONDS = 60;
/** SETs asked for per poll request when `max_events` is not set (ssf/poll.ts uses it too). */
export const DEFAULT_POLL_MAX_EVENTS = 20;
/** A transmitter's name: the `{transmitter}` of POST /ssf/{transmitter} and the end of its source, ssf-<name>. */
export const TRANSMITTER_NAME_PATTERN = "[a-z0-9_-]{1,28}";
const TRANSMITTER_NAME = new RegExp(`^${TRANSMITTER_NAME_PATTERN}$`);
export const SSF_SOURCE_PREFIX = "ssf-";

/**
 * A Shared Signals transmitter's source: "ssf-<name>" (its name as SSF_TRANSMITTERS allows, 1–28 of
 * a-z 0-9 _ -), so the directory's 32-character source names hold it and no webhook source can be mistaken for it.
 */
export function ssfSourceName(transmitter: string): string {
  return `${SSF_SOURCE_PREFIX}${transmitter}`;
}
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1"]);

/** https, or http to this machine (a local transmitter in development); never a query or fragment. */
export function isTransmitterUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") return false;
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
}

const transmitterUrl = z
  .string()
  .check(z.refine(isTransmitterUrl, "must be an https URL without credentials, query or fragment (http only for localhost)"));
const nonEmpty = z.string().check(z.minLength(1), z.maxLength(500));
const eventTypeUri = z.string().check(
  z.maxLength(200),
  z.refine((value) => URL.canParse(value), "must be an event-type URI"),
);

/** `verify_every_seconds` when not set: one verification round trip an hour (issue #20). */
const DEFAULT_VERIFY_EVERY_SECONDS = 3600;
const MANAGE_CLIENT_AUTH = ["client_secret_basic", "private_key_jwt"] as const;

/**
 * `manage`: how the Worker authenticates to the transmitter's stream management API (SSF 1.0 §7.1), which it
 * then uses to create, repair and verify its own stream (connections/ssf-stream/): `{"bearer": true}` (the
 * Authorization header value in SSF_MANAGE_AUTH_<NAME>), or OAuth client credentials at `token_endpoint` as
 * `client_id` (optionally asking `scope`), the client authenticated by `auth`: client_secret_basic (secret in
 * SSF_MANAGE_CLIENT_SECRET_<NAME>) or private_key_jwt (RFC 7523 §2.2; a PKCS#8 PEM in
 * SSF_MANAGE_PRIVATE_KEY_<NAME>, its `kid` in the assertion's header). `verify_every_seconds` (300–86400,
 * default 3600): how often a verification event is requested; `events`: the events the stream requests
 * (default the transmitter's `events`).
 */
const ManageSchema = z
  .strictObject({
    bearer: z.optional(z.literal(true, "must be true (the header is in SSF_MANAGE_AUTH_<NAME>)")),
    token_endpoint: z.optional(transmitterUrl),
    client_id: z.optional(nonEmpty),
    scope: z.optional(nonEmpty),
    auth: z.optional(z.enum(MANAGE_CLIENT_AUTH, "must be client_secret_basic or private_key_jwt")),
    kid: z.optional(nonEmpty),
    verify_every_seconds: z.optional(z.number().check(z.int(), z.minimum(300, "must be at least 300"), z.maximum(86_400, "must be at most 86400"))),
    events: z.optional(z.array(eventTypeUri).check(z.minLength(1))),
  })
  .check(
    z.refine(
      (manage) =>
        manage.bearer === true
          ? manage.token_endpoint === undefined && manage.client_id === undefined && manage.auth === undefined
          : manage.token_endpoint !== undefined && manage.client_id !== undefined && manage.auth !== undefined,
      'needs either "bearer": true, or token_endpoint, client_id and auth (OAuth client credentials), not both',
    ),
    z.refine((manage) => manage.kid === undefined || manage.auth === "private_key_jwt", "kid goes with auth private_key_jwt"),
  );

type ManageEntry = z.output<typeof ManageSchema>;

function manageOf(manage: ManageEntry, transmitterEvents: readonly string[]) {
  return {
    credentials:
      manage.token_endpoint !== undefined && manage.client_id !== undefined && manage.auth !== undefined
        ? {
            kind: "oauth" as const,
            tokenEndpoint: manage.token_endpoint,
            clientId: manage.client_id,
            scope: manage.scope ?? null,
            auth: manage.auth,
            kid: manage.kid ?? null,
          }
        : { kind: "bearer" as const },
    verifyEveryMs: (manage.verify_every_seconds ?? DEFAULT_VERIFY_EVERY_SECONDS) * 1000,
    events: [...new Set(manage.events ?? transmitterEvents)],
  };
}

const TransmitterSchema = z.pipe(
  z
    .strictObject({
      issuer: transmitterUrl,
      audience: z.union([nonEmpty, z.array(nonEmpty).check(z.minLength(1))], "must be a non-empty string or list of strings"),
      jwks_uri: z.optional(transmitterUrl),
      events: z.optional(z.array(eventTypeUri).check(z.minLength(1))),
      credential_change: z.optional(z.boolean()),
      poll: z.optional(
        z
          .strictObject({
            endpoint: transmitterUrl,
            max_events: z.optional(z.number().check(z.int(), z.minimum(1, "must be at least 1"), z.maximum(100, "must be at most 100"))),
            token_endpoint: z.optional(transmitterUrl),
            client_id: z.optional(nonEmpty),
            scope: z.optional(nonEmpty),
          })
          .check(
            z.refine(
              (poll) => (poll.token_endpoint === undefined) === (poll.client_id === undefined),
              "token_endpoint and client_id go together (OAuth client credentials)",
            ),
            z.refine((poll) => poll.scope === undefined || poll.token_endpoint !== undefined, "scope needs token_endpoint"),
          ),
      ),
      algorithms: z.optional(z.array(z.enum(SSF_ALGORITHMS, "must be an asymmetric JWS algorithm (RS*, PS*, ES*, EdDSA)")).check(z.minLength(1))),
      jwks_min_refresh_seconds: z.optional(z.number().check(z.int(), z.minimum(1, "must be at least 1"), z.maximum(3600, "must be at most 3600"))),
      push: z.optional(z.boolean()),
      manage: z.optional(ManageSchema),
    })
    .check(
      z.refine((entry) => entry.push !== false || entry.poll !== undefined, "push false needs poll: the transmitter would deliver nothing"),
      z.refine((entry) => entry.manage === undefined || entry.push !== false, "manage creates a push stream: it needs push"),
    ),
  z.transform((entry) => ({
    issuer: entry.issuer,
    audiences: typeof entry.audience === "string" ? [entry.audience] : [...new Set(entry.audience)],
    jwksUri: entry.jwks_uri ?? null,
    events: [...new Set([...(entry.events ?? DEFAULT_DEPROVISIONING_EVENTS), ...(entry.credential_change ? [CAEP_CREDENTIAL_CHANGE] : [])])],
    algorithms: [...new Set(entry.algorithms ?? SSF_ALGORITHMS)],
    jwksMinRefreshMs: (entry.jwks_min_refresh_seconds ?? DEFAULT_JWKS_MIN_REFRESH_SECONDS) * 1000,
    push: entry.push ?? entry.poll === undefined,
    poll: entry.poll
      ? {
          endpoint: entry.poll.endpoint,
          maxEvents: entry.poll.max_events ?? DEFAULT_POLL_MAX_EVENTS,
          oauth:
            entry.poll.token_endpoint !== undefined && entry.poll.client_id !== undefined
              ? { tokenEndpoint: entry.poll.token_endpoint, clientId: entry.poll.client_id, scope: entry.poll.scope ?? null }
              : null,
        }
      : null,
    manage: entry.manage ? manageOf(entry.manage, entry.events ?? DEFAULT_DEPROVISIONING_EVENTS) : null,
  })),
);

/** One configured transmitter, normalised: audiences always a list, defaults applied. */
export type SsfTransmitter = z.output<typeof TransmitterSchema>;

export type SsfTransmittersResult = { ok: true; transmitters: Map<string, SsfTransmitter> } | { ok: false; problems: string[] };

export function parseSsfTransmitters(raw: string | undefined): SsfTransmittersResult {
  const problem = (what: string) => `${SSF_TRANSMITTERS_VARIABLE}: ${what}`;
  if (raw === undefined || raw.trim() === "") return { ok: true, transmitters: new Map() };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    // The parser's message quotes the input, which may hold anything: say only what is wrong.
    return { ok: false, problems: [problem("is not valid JSON")] };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, problems: [problem("must be a JSON object keyed by transmitter name")] };
  }

  const problems: string[] = [];
  const transmitters = new Map<string, SsfTransmitter>();
  const bySecretVariable = new Map<string, string>();
  for (const [index, [name, entry]] of Object.entries(json).entries()) {
    if (!TRANSMITTER_NAME.test(name)) {
      problems.push(problem(`transmitter #${index + 1}: its name must be 1–28 characters of a-z, 0-9, _ and -`));
      continue;
    }
    const secretVariable = ssfAuthSecretVariable(name);
    const sharing = bySecretVariable.get(secretVariable);
    if (sharing !== undefined) problems.push(problem(`${sharing} and ${name} would share the secret ${secretVariable}`));
    bySecretVariable.set(secretVariable, name);

    const parsed = TransmitterSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(problem(`${[name, ...issue.path].join(".")}: ${issue.message}`));
      continue;
    }
    transmitters.set(name, parsed.data);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, transmitters };
}

/** SSF_TRANSMITTERS as a variable of the Worker's environment schema (config/schema.ts): its problems become the variable's. */
export const ssfTransmittersVariable = z.pipe(
  z.optional(z.string()),
  z.transform((raw: string | undefined, ctx) => {
    const result = parseSsfTransmitters(raw);
    if (result.ok) return result.transmitters;
    const prefix = `${SSF_TRANSMITTERS_VARIABLE}: `;
    for (const problem of result.problems) ctx.issues.push({ code: "custom", message: problem.slice(prefix.length), input: "" });
    return z.NEVER;
  }),
);

/**
 * The secrets a transmitter may have, each named by its prefix and the transmitter's name upper-cased with
 * "-" as "_": the push credential (SSF_AUTH_<NAME>), the header the Worker polls with (SSF_POLL_AUTH_<NAME>)
 * and the OAuth client secret it obtains poll tokens with (SSF_POLL_CLIENT_SECRET_<NAME>); for `manage`, the
 * management API's Authorization header (SSF_MANAGE_AUTH_<NAME>), client secret (SSF_MANAGE_CLIENT_SECRET_<NAME>)
 * or private key (SSF_MANAGE_PRIVATE_KEY_<NAME>, PKCS#8 PEM).
 */
export const SSF_SECRET_PREFIXES = [
  "SSF_AUTH_",
  "SSF_POLL_AUTH_",
  "SSF_POLL_CLIENT_SECRET_",
  "SSF_MANAGE_AUTH_",
  "SSF_MANAGE_CLIENT_SECRET_",
  "SSF_MANAGE_PRIVATE_KEY_",
] as const;

function transmitterSecret(prefix: (typeof SSF_SECRET_PREFIXES)[number], name: string): string {
  return `${prefix}${name.toUpperCase().replace(/-/g, "_")}`;
}

export const ssfAuthSecretVariable = (name: string) => transmitterSecret("SSF_AUTH_", name);
export const ssfPollAuthSecretVariable = (name: string) => transmitterSecret("SSF_POLL_AUTH_", name);
export const ssfPollClientSecretVariable = (name: string) => transmitterSecret("SSF_POLL_CLIENT_SECRET_", name);
export const ssfManageAuthSecretVariable = (name: string) => transmitterSecret("SSF_MANAGE_AUTH_", name);
export const ssfManageClientSecretVariable = (name: string) => transmitterSecret("SSF_MANAGE_CLIENT_SECRET_", name);
export const ssfManagePrivateKeyVariable = (name: string) => transmitterSecret("SSF_MANAGE_PRIVATE_KEY_", name);
