// Parses the Worker's environment once into a typed Config (the schema's output type).
// Contract: every problem is reported at once, by variable name only; a value (secret or not) never
// appears in one. Problems make the Worker answer 503; notes (deprecations, ignored settings) do not.
// Rotation lists: a secret variable may hold several values, one per line. A newline is the only
// separator: it cannot occur inside any secret we accept (they travel in HTTP headers or are base64 or
// hex), while a space can (Okta's documented `Basic <base64>` secret) and so can a comma. A bearer token
// can hold neither, so one with a comma (an old comma-separated list) is a problem; webhook secrets are
// left alone: Okta's, Keycloak's, Google's and the HMAC source's are chosen by whoever configures the sender,
// and a comma in one is legitimate (the whsec_ ones are base64, checked as such).
import * as z from "zod/mini";
import {
  SSF_SECRET_PREFIXES,
  type SsfTransmitter,
  ssfAuthSecretVariable,
  ssfPollAuthSecretVariable,
  ssfPollClientSecretVariable,
  ssfTransmittersVariable,
} from "./domain/ssf/transmitters";

const DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4";

/** The values of a rotation list: one per line, trimmed, blank lines ignored. */
export function splitSecretList(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(/\r?\n/)
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
}

/** A comma- or space-separated list of plain words (event types, ids): never secrets. */
function splitWords(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((value) => value.length > 0);
}

const optionalString = z.optional(z.string());

/** A character below U+0020 or DEL: never part of a header value or an encoded key. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * A rotation list whose every value must pass `check` (which answers what is wrong, or null). Problems
 * name the value by its position, never by content.
 */
function secretList(check: (value: string) => string | null = () => null) {
  return z.pipe(
    optionalString,
    z.transform((raw: string | undefined, ctx) => {
      const values = splitSecretList(raw);
      for (const [index, value] of values.entries()) {
        const problem = hasControlCharacter(value) ? "contains a control character" : check(value);
        if (problem) ctx.issues.push({ code: "custom", message: `value ${index + 1} ${problem}`, input: "" });
      }
      return values;
    }),
  );
}

/**
 * Bearer tokens (RFC 6750 §2.1, b64token: letters, digits and -._~+/ then =) contain neither whitespace
 * nor a comma; one that does is an old space- or comma-separated list, which as one value matches no
 * token a client sends. Other characters are left alone: a token that works today keeps working.
 */
const bearerTokens = secretList((value) =>
  /\s/.test(value)
    ? "contains whitespace: put each token of a rotation list on its own line"
    : value.includes(",")
      ? "contains a comma, which no bearer token can (RFC 6750): lists are one per line now, put each token on its own line"
      : null,
);

/** Standard Webhooks / Svix secrets: `whsec_` and the base64 of the key (a bare base64 key is accepted, as the reference does). */
const whsecSecrets = secretList((value) => {
  const encoded = value.startsWith("whsec_") ? value.slice("whsec_".length) : value;
  const normalized = encoded.replace(/-/g, "+").replace(/_/g, "/");
  return encoded.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(normalized) && normalized.replace(/=+$/, "").length % 4 !== 1
    ? null
    : "is not base64 after whsec_ (copy the whole signing secret; one per line)";
});

/**
 * An optional variable: blank means `fallback`; otherwise `read` turns the trimmed text into a value,
 * or answers undefined and the variable is reported with `problem`.
 */
function variable<T, F extends T | null>(fallback: F, problem: string, read: (value: string) => T | undefined) {
  return z.pipe(
    optionalString,
    z.transform((raw: string | undefined, ctx): T | F => {
      const value = (raw ?? "").trim();
      if (value === "") return fallback;
      const result = read(value);
      if (result === undefined) {
        ctx.issues.push({ code: "custom", message: problem, input: "" });
        return z.NEVER;
      }
      return result;
    }),
  );
}

const BOOLEAN_WORDS = new Map([
  ["true", true],
  ["1", true],
  ["yes", true],
  ["false", false],
  ["0", false],
  ["no", false],
]);

const booleanVar = (fallback: boolean) => variable(fallback, "must be true or false", (value) => BOOLEAN_WORDS.get(value.toLowerCase()));

const numberVar = (fallback: number, min: number, max: number) =>
  variable(fallback, `must be a number from ${min} to ${max}`, (value) => {
    const parsed = Number(value);
    return Number.isFinite(parsed) && parsed >= min && parsed <= max ? parsed : undefined;
  });

// Cloudflare account and zone ids are 32 hex digits; anything else would be spliced into the API path.
const cloudflareIdList = variable([] as string[], "each id must be 32 hexadecimal characters", (value) => {
  const ids = splitWords(value);
  return ids.every((id) => /^[0-9a-f]{32}$/i.test(id)) ? [...new Set(ids.map((id) => id.toLowerCase()))] : undefined;
});

const apiBaseUrl = variable(DEFAULT_API_BASE_URL, "must be an http(s) URL", (value) =>
  URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) ? value.replace(/\/+$/, "") : undefined,
);

const headerName = <F extends string | null>(fallback: F) =>
  variable(fallback, "must be an HTTP header name", (value) => (/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(value) ? value : undefined));

const choice = <T extends string>(values: readonly T[], fallback: T) =>
  variable(fallback, `must be one of ${values.join(", ")}`, (value) => values.find((candidate) => candidate.toLowerCase() === value.toLowerCase()));

const jsonPath = <F extends string | null>(fallback: F) =>
  variable(fallback, "must be a dotted JSON path such as data.user.email", (value) =>
    /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(value) ? value : undefined,
  );

const wordList = (fallback: string) =>
  z.pipe(
    optionalString,
    z.transform((raw: string | undefined) => splitWords(raw?.trim() || fallback)),
  );

/** Group display names (comma-separated), or "*" for any group; blank: off. Compared without regard to case. */
const groupList = z.pipe(
  optionalString,
  z.transform((raw: string | undefined) => {
    const names = (raw ?? "")
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name.length > 0);
    return { any: names.includes("*"), names: names.filter((name) => name !== "*").map((name) => name.toLowerCase()) };
  }),
);

const textVar = (fallback: string) =>
  z.pipe(
    optionalString,
    z.transform((raw: string | undefined) => raw ?? fallback),
  );

const SECRET_SOURCES = ["standard", "workos", "okta", "clerk", "zitadel", "keycloak", "google", "hmac"] as const;
export type SecretSource = (typeof SECRET_SOURCES)[number];

const EnvSchema = z.object({
  ACCESS_API_TOKEN: bearerTokens,
  OPERATOR_TOKEN: bearerTokens,
  SCIM_TOKEN: bearerTokens,
  // Keys the audit's operator token fingerprints; a short key would be guessable, so it is refused.
  AUDIT_FINGERPRINT_KEY: secretList((value) => (value.length < 32 ? "is shorter than 32 characters (openssl rand -base64 32)" : null)),
  WEBHOOK_SECRET_STANDARD: whsecSecrets,
  WEBHOOK_SECRET_WORKOS: secretList(),
  // A static header value: Okta's guide sets it to `Basic <base64>`, so spaces are part of the secret.
  WEBHOOK_SECRET_OKTA: secretList(),
  WEBHOOK_SECRET_CLERK: whsecSecrets,
  WEBHOOK_SECRET_ZITADEL: secretList(),
  WEBHOOK_SECRET_KEYCLOAK: secretList(),
  WEBHOOK_SECRET_GOOGLE: secretList(),
  WEBHOOK_SECRET_HMAC: secretList(),
  OKTA_AUTH_HEADER: headerName("Authorization"),
  HMAC_SIGNATURE_HEADER: headerName("X-Hub-Signature-256"),
  HMAC_SIGNATURE_PREFIX: textVar("sha256="),
  HMAC_ALGORITHM: choice(["SHA-256", "SHA-512"] as const, "SHA-256"),
  HMAC_ENCODING: choice(["hex", "base64"] as const, "hex"),
  HMAC_TIMESTAMP_HEADER: headerName(null),
  HMAC_EVENT_ID_PATH: jsonPath("id"),
  HMAC_EVENT_TYPE_PATH: jsonPath("type"),
  HMAC_EMAIL_PATH: jsonPath("data.email"),
  HMAC_SUBJECT_PATH: jsonPath(null),
  HMAC_DEPROVISION_EVENTS: wordList("user.deprovisioned"),
  ACCESS_ACCOUNT_ID: cloudflareIdList,
  ACCESS_ZONE_ID: cloudflareIdList,
  ACCESS_API_BASE_URL: apiBaseUrl,
  ACCESS_API_TIMEOUT_SECONDS: numberVar(10, 0.05, 60),
  REVOKE_DEVICES: booleanVar(true),
  WARP_SESSION_REAUTH: booleanVar(false),
  DRY_RUN: booleanVar(false),
  REVOKE_RATE_PER_SECOND: numberVar(3, 0.01, 1000),
  SIGNATURE_TOLERANCE_SECONDS: numberVar(300, 1, 86_400),
  KEYCLOAK_MAX_EVENT_AGE_SECONDS: numberVar(3600, 60, 7 * 86_400),
  AUDIT_RETENTION_DAYS: numberVar(90, 1, 3650),
  REMOVE_SEATS: booleanVar(false),
  VERIFY_AFTER_SECONDS: numberVar(60, 0, 86_400),
  REVOKE_ON_GROUP_REMOVAL: groupList,
  SSF_TRANSMITTERS: ssfTransmittersVariable,
});

const ConfigSchema = z.pipe(
  EnvSchema,
  z.transform((vars) => ({
    cfApiTokens: vars.ACCESS_API_TOKEN,
    operatorTokens: vars.OPERATOR_TOKEN,
    scimTokens: vars.SCIM_TOKEN,
    /** Only the first line is used: changing the key changes every fingerprint from then on. */
    auditFingerprintKey: vars.AUDIT_FINGERPRINT_KEY[0] ?? null,
    webhookSecrets: {
      standard: vars.WEBHOOK_SECRET_STANDARD,
      workos: vars.WEBHOOK_SECRET_WORKOS,
      okta: vars.WEBHOOK_SECRET_OKTA,
      clerk: vars.WEBHOOK_SECRET_CLERK,
      zitadel: vars.WEBHOOK_SECRET_ZITADEL,
      keycloak: vars.WEBHOOK_SECRET_KEYCLOAK,
      google: vars.WEBHOOK_SECRET_GOOGLE,
      hmac: vars.WEBHOOK_SECRET_HMAC,
    } satisfies Record<SecretSource, string[]>,
    oktaAuthHeader: vars.OKTA_AUTH_HEADER,
    hmacSource: {
      header: vars.HMAC_SIGNATURE_HEADER,
      prefix: vars.HMAC_SIGNATURE_PREFIX,
      hash: vars.HMAC_ALGORITHM,
      encoding: vars.HMAC_ENCODING,
      timestampHeader: vars.HMAC_TIMESTAMP_HEADER,
      eventIdPath: vars.HMAC_EVENT_ID_PATH,
      eventTypePath: vars.HMAC_EVENT_TYPE_PATH,
      emailPath: vars.HMAC_EMAIL_PATH,
      subjectPath: vars.HMAC_SUBJECT_PATH,
      deprovisionEvents: vars.HMAC_DEPROVISION_EVENTS,
    },
    targets: [
      ...vars.ACCESS_ACCOUNT_ID.map((id) => ({ kind: "accounts" as const, id })),
      ...vars.ACCESS_ZONE_ID.map((id) => ({ kind: "zones" as const, id })),
    ],
    cfApiBaseUrl: vars.ACCESS_API_BASE_URL,
    cfApiTimeoutMs: Math.round(vars.ACCESS_API_TIMEOUT_SECONDS * 1000),
    revokeDevices: vars.REVOKE_DEVICES,
    warpSessionReauth: vars.WARP_SESSION_REAUTH,
    dryRun: vars.DRY_RUN,
    revokeRatePerSecond: vars.REVOKE_RATE_PER_SECOND,
    signatureToleranceSeconds: vars.SIGNATURE_TOLERANCE_SECONDS,
    keycloakMaxEventAgeSeconds: vars.KEYCLOAK_MAX_EVENT_AGE_SECONDS,
    auditRetentionDays: vars.AUDIT_RETENTION_DAYS,
    removeSeats: vars.REMOVE_SEATS,
    verifyAfterSeconds: vars.VERIFY_AFTER_SECONDS,
    groupRemoval: vars.REVOKE_ON_GROUP_REMOVAL,
    ssfTransmitters: vars.SSF_TRANSMITTERS,
  })),
);

/** A transmitter's secrets, read once with the configuration (ssfSecretsOf). */
export type SsfSecrets = { auth: string[]; pollAuth: string | null; pollClientSecret: string | null };

/** The Worker's configuration: the schema's output, and each Shared Signals transmitter's secrets by name. */
export type Config = z.output<typeof ConfigSchema> & { ssfSecrets: ReadonlyMap<string, SsfSecrets> };
export type Target = Config["targets"][number];
export type HmacSourceConfig = Config["hmacSource"];

export type ConfigResult = { ok: true; config: Config; notes: string[] } | { ok: false; problems: string[]; notes: string[] };

/** Requirements across variables, checked on the raw values so they are reported with every other problem. */
function missingRequirements(vars: Record<string, string>): string[] {
  const blank = (name: string) => (vars[name] ?? "").trim() === "";
  const problems: string[] = [];
  if (blank("ACCESS_ACCOUNT_ID") && blank("ACCESS_ZONE_ID")) problems.push("ACCESS_ACCOUNT_ID: set ACCESS_ACCOUNT_ID and/or ACCESS_ZONE_ID");
  if (blank("ACCESS_API_TOKEN") && BOOLEAN_WORDS.get((vars.DRY_RUN ?? "").trim().toLowerCase()) !== true) {
    problems.push("ACCESS_API_TOKEN: required unless DRY_RUN=true");
  }
  if (blank("OPERATOR_TOKEN")) problems.push("OPERATOR_TOKEN: required");
  return problems;
}

/**
 * The Shared Signals secrets: SSF_AUTH_<NAME> (the authorization header a stream pushes with, read by
 * ssf/routes.ts), SSF_POLL_AUTH_<NAME> (the header the Worker polls with) and SSF_POLL_CLIENT_SECRET_<NAME>
 * (the OAuth client secret it obtains poll tokens with; ssf/poll-streams.ts). A value with a control
 * character is a problem like any secret's. One that no configured transmitter uses does nothing, most
 * likely a typo, and is noted; so is a polled transmitter without the secret it polls with. Notes, not
 * problems: the other sources keep working, and a poll that cannot authenticate shows in /v1/stats.
 */
function ssfSecretsOf(
  vars: Record<string, string>,
  transmitters: ReadonlyMap<string, SsfTransmitter> | null,
): { secrets: Map<string, SsfSecrets>; problems: string[]; notes: string[] } {
  const problems: string[] = [];
  const notes: string[] = [];
  const secrets = new Map<string, SsfSecrets>();
  const expected = new Set<string>();
  for (const [name, transmitter] of transmitters ?? []) {
    const [auth, pollAuth, pollClientSecret] = [ssfAuthSecretVariable(name), ssfPollAuthSecretVariable(name), ssfPollClientSecretVariable(name)];
    secrets.set(name, {
      auth: splitSecretList(vars[auth]),
      pollAuth: splitSecretList(vars[pollAuth])[0] ?? null,
      pollClientSecret: splitSecretList(vars[pollClientSecret])[0] ?? null,
    });
    expected.add(auth);
    if (transmitter.poll === null) continue;
    const secret = transmitter.poll.oauth ? pollClientSecret : pollAuth;
    expected.add(secret);
    if ((vars[secret] ?? "").trim() !== "") continue;
    notes.push(
      transmitter.poll.oauth
        ? `${secret}: not set, so ${name}'s poll token cannot be obtained and every poll run fails until it is`
        : `${secret}: not set, so ${name}'s poll endpoint is polled without an Authorization header`,
    );
  }
  for (const [name, raw] of Object.entries(vars)) {
    if (!SSF_SECRET_PREFIXES.some((prefix) => name.startsWith(prefix)) || raw.trim() === "") continue;
    for (const [index, value] of splitSecretList(raw).entries()) {
      if (hasControlCharacter(value)) problems.push(`${name}: value ${index + 1} contains a control character`);
    }
    if (transmitters !== null && !expected.has(name)) {
      notes.push(`${name}: ignored; no transmitter in SSF_TRANSMITTERS uses this secret (see docs/ssf.md for which poll settings use which)`);
    }
  }
  return { secrets, problems, notes };
}

/** Settings that still parse but do nothing or will change: shown in /healthz, never fatal. */
function notesFor(vars: Record<string, string>): string[] {
  const notes: string[] = [];
  if ((vars.HMAC_EVENT_ID_HEADER ?? "").trim() !== "") {
    notes.push(
      "HMAC_EVENT_ID_HEADER: ignored; an unsigned header cannot de-duplicate deliveries. The event id comes from HMAC_EVENT_ID_PATH in the signed body, or from the body's SHA-256.",
    );
  }
  return notes;
}

/**
 * The names this project used before ACCESS_*: CF_* are also the names wrangler reads for its own
 * credentials and endpoint, so a shell that exported them for this Worker made a later `wrangler deploy`
 * log in with the Access-only token. The old names still work, with a note; the new name wins.
 */
const RENAMED = [
  ["CF_API_TOKEN", "ACCESS_API_TOKEN"],
  ["CF_ACCOUNT_ID", "ACCESS_ACCOUNT_ID"],
  ["CF_ZONE_ID", "ACCESS_ZONE_ID"],
  ["CF_API_BASE_URL", "ACCESS_API_BASE_URL"],
  ["CF_API_TIMEOUT_SECONDS", "ACCESS_API_TIMEOUT_SECONDS"],
] as const;

function withRenames(vars: Record<string, string>, notes: string[]): Record<string, string> {
  const renamed = { ...vars };
  for (const [old, current] of RENAMED) {
    const oldValue = (vars[old] ?? "").trim();
    if (oldValue === "") continue;
    delete renamed[old];
    if ((vars[current] ?? "").trim() === "") {
      renamed[current] = vars[old]!;
      notes.push(
        `${old}: deprecated, rename it ${current} (wrangler reads CF_* variables for its own login, account and endpoint, so exporting ${old} for this Worker changes what \`wrangler deploy\` does); used for now`,
      );
    } else {
      notes.push(`${old}: ignored because ${current} is set; remove ${old}`);
    }
  }
  return renamed;
}

export function parseConfig(env: Record<string, unknown>): ConfigResult {
  const renameNotes: string[] = [];
  const vars = withRenames(pickStrings(env), renameNotes);
  const parsed = ConfigSchema.safeParse(vars);
  const problems: string[] = [];
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(`${issue.path.join(".")}: ${issue.message}`);
  problems.push(...missingRequirements(vars));
  const ssf = ssfSecretsOf(vars, parsed.success ? parsed.data.ssfTransmitters : null);
  problems.push(...ssf.problems);
  const notes = [...renameNotes, ...notesFor(vars), ...ssf.notes];
  if (!parsed.success || problems.length > 0) return { ok: false, problems, notes };
  return { ok: true, config: { ...parsed.data, ssfSecrets: ssf.secrets }, notes };
}

/** Bindings (KV, Durable Objects) are not strings; the schema sees only the string variables. */
function pickStrings(env: Record<string, unknown>): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") strings[name] = value;
  return strings;
}

const parsedByEnv = new WeakMap<object, ConfigResult>();

/** The env object is stable per isolate, so parsing happens once, not per request. */
export function configFor(env: object): ConfigResult {
  let result = parsedByEnv.get(env);
  if (!result) {
    result = parseConfig(env as Record<string, unknown>);
    parsedByEnv.set(env, result);
  }
  return result;
}
