// Parses the Worker's environment once into a typed Config.
// Contract: problems are reported by variable name only; a value (secret or not) never appears in one.
import * as z from "zod/mini";

export const DEFAULT_CF_API_BASE_URL = "https://api.cloudflare.com/client/v4";

/** Secrets hold several values separated by spaces or commas, so a new one can be added before the old is removed. */
export function splitSecretList(raw: string | undefined): string[] {
  return (raw ?? "").split(/[\s,]+/).filter((value) => value.length > 0);
}

const optionalString = z.optional(z.string());

const secretList = z.pipe(optionalString, z.transform((raw: string | undefined) => splitSecretList(raw)));

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
        ctx.issues.push({ code: "custom", message: problem, input: raw });
        return z.NEVER;
      }
      return result;
    }),
  );
}

const BOOLEAN_WORDS = new Map([["true", true], ["1", true], ["yes", true], ["false", false], ["0", false], ["no", false]]);

const booleanVar = (fallback: boolean) => variable(fallback, "must be true or false", (value) => BOOLEAN_WORDS.get(value.toLowerCase()));

const numberVar = (fallback: number, min: number, max: number) =>
  variable(fallback, `must be a number from ${min} to ${max}`, (value) => {
    const parsed = Number(value);
    return Number.isFinite(parsed) && parsed >= min && parsed <= max ? parsed : undefined;
  });

// Cloudflare account and zone ids are 32 hex digits; anything else would be spliced into the API path.
const cloudflareIdList = z.pipe(
  optionalString,
  z.transform((raw: string | undefined, ctx) => {
    const ids = (raw ?? "").split(/[\s,]+/).filter((id) => id.length > 0);
    if (ids.some((id) => !/^[0-9a-f]{32}$/i.test(id))) {
      ctx.issues.push({ code: "custom", message: "each id must be 32 hexadecimal characters", input: raw });
      return z.NEVER;
    }
    return [...new Set(ids.map((id) => id.toLowerCase()))];
  }),
);

const apiBaseUrl = variable(DEFAULT_CF_API_BASE_URL, "must be an http(s) URL", (value) =>
  URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) ? value.replace(/\/+$/, "") : undefined,
);

const headerName = <F extends string | null>(fallback: F) =>
  variable(fallback, "must be an HTTP header name", (value) => (/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(value) ? value : undefined));

const choice = <T extends string>(values: readonly T[], fallback: T) =>
  variable(fallback, `must be one of ${values.join(", ")}`, (value) =>
    values.find((candidate) => candidate.toLowerCase() === value.toLowerCase()),
  );

const jsonPath = <F extends string | null>(fallback: F) =>
  variable(fallback, "must be a dotted JSON path such as data.user.email", (value) =>
    /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(value) ? value : undefined,
  );

const textVar = (fallback: string) => z.pipe(optionalString, z.transform((raw: string | undefined) => raw ?? fallback));

export const SECRET_SOURCES = ["standard", "workos", "okta", "clerk", "zitadel", "keycloak", "google", "hmac"] as const;
export type SecretSource = (typeof SECRET_SOURCES)[number];

const EnvSchema = z.object({
  CF_API_TOKEN: secretList,
  OPERATOR_TOKEN: secretList,
  SCIM_TOKEN: secretList,
  WEBHOOK_SECRET_STANDARD: secretList,
  WEBHOOK_SECRET_WORKOS: secretList,
  WEBHOOK_SECRET_OKTA: secretList,
  WEBHOOK_SECRET_CLERK: secretList,
  WEBHOOK_SECRET_ZITADEL: secretList,
  WEBHOOK_SECRET_KEYCLOAK: secretList,
  WEBHOOK_SECRET_GOOGLE: secretList,
  WEBHOOK_SECRET_HMAC: secretList,
  OKTA_AUTH_HEADER: headerName("Authorization"),
  HMAC_SIGNATURE_HEADER: headerName("X-Signature-256"),
  HMAC_SIGNATURE_PREFIX: textVar("sha256="),
  HMAC_ALGORITHM: choice(["SHA-256", "SHA-512"] as const, "SHA-256"),
  HMAC_ENCODING: choice(["hex", "base64"] as const, "hex"),
  HMAC_TIMESTAMP_HEADER: headerName(null),
  HMAC_EVENT_ID_HEADER: headerName(null),
  HMAC_EVENT_ID_PATH: jsonPath("id"),
  HMAC_EVENT_TYPE_PATH: jsonPath("type"),
  HMAC_EMAIL_PATH: jsonPath("data.email"),
  HMAC_SUBJECT_PATH: jsonPath(null),
  HMAC_DEPROVISION_EVENTS: z.pipe(optionalString, z.transform((raw: string | undefined) => splitSecretList(raw ?? "user.deprovisioned"))),
  CF_ACCOUNT_ID: cloudflareIdList,
  CF_ZONE_ID: cloudflareIdList,
  CF_API_BASE_URL: apiBaseUrl,
  CF_API_TIMEOUT_SECONDS: numberVar(10, 0.05, 60),
  REVOKE_DEVICES: booleanVar(true),
  WARP_SESSION_REAUTH: booleanVar(false),
  DRY_RUN: booleanVar(false),
  REVOKE_RATE_PER_SECOND: numberVar(3, 0.01, 1000),
  SIGNATURE_TOLERANCE_SECONDS: numberVar(300, 1, 86_400),
  AUDIT_RETENTION_DAYS: numberVar(90, 1, 3650),
});

export type Target = { kind: "accounts" | "zones"; id: string };

export type HmacSourceConfig = {
  header: string;
  prefix: string;
  hash: "SHA-256" | "SHA-512";
  encoding: "hex" | "base64";
  timestampHeader: string | null;
  eventIdHeader: string | null;
  eventIdPath: string;
  eventTypePath: string;
  emailPath: string;
  subjectPath: string | null;
  deprovisionEvents: string[];
};

export type Config = {
  cfApiTokens: string[];
  operatorTokens: string[];
  scimTokens: string[];
  webhookSecrets: Record<SecretSource, string[]>;
  oktaAuthHeader: string;
  hmacSource: HmacSourceConfig;
  targets: Target[];
  cfApiBaseUrl: string;
  cfApiTimeoutMs: number;
  revokeDevices: boolean;
  warpSessionReauth: boolean;
  dryRun: boolean;
  revokeRatePerSecond: number;
  signatureToleranceSeconds: number;
  auditRetentionDays: number;
};

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

export function parseConfig(env: Record<string, unknown>): ConfigResult {
  const parsed = EnvSchema.safeParse(pickStrings(env));
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join(".")}: ${issue.message}`);
    return { ok: false, problems };
  }
  const vars = parsed.data;
  const targets: Target[] = [
    ...vars.CF_ACCOUNT_ID.map((id) => ({ kind: "accounts" as const, id })),
    ...vars.CF_ZONE_ID.map((id) => ({ kind: "zones" as const, id })),
  ];
  if (targets.length === 0) problems.push("CF_ACCOUNT_ID: set CF_ACCOUNT_ID and/or CF_ZONE_ID");
  if (vars.CF_API_TOKEN.length === 0 && !vars.DRY_RUN) problems.push("CF_API_TOKEN: required unless DRY_RUN=true");
  if (vars.OPERATOR_TOKEN.length === 0) problems.push("OPERATOR_TOKEN: required");
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      cfApiTokens: vars.CF_API_TOKEN,
      operatorTokens: vars.OPERATOR_TOKEN,
      scimTokens: vars.SCIM_TOKEN,
      webhookSecrets: {
        standard: vars.WEBHOOK_SECRET_STANDARD,
        workos: vars.WEBHOOK_SECRET_WORKOS,
        okta: vars.WEBHOOK_SECRET_OKTA,
        clerk: vars.WEBHOOK_SECRET_CLERK,
        zitadel: vars.WEBHOOK_SECRET_ZITADEL,
        keycloak: vars.WEBHOOK_SECRET_KEYCLOAK,
        google: vars.WEBHOOK_SECRET_GOOGLE,
        hmac: vars.WEBHOOK_SECRET_HMAC,
      },
      oktaAuthHeader: vars.OKTA_AUTH_HEADER,
      hmacSource: {
        header: vars.HMAC_SIGNATURE_HEADER,
        prefix: vars.HMAC_SIGNATURE_PREFIX,
        hash: vars.HMAC_ALGORITHM,
        encoding: vars.HMAC_ENCODING,
        timestampHeader: vars.HMAC_TIMESTAMP_HEADER,
        eventIdHeader: vars.HMAC_EVENT_ID_HEADER,
        eventIdPath: vars.HMAC_EVENT_ID_PATH,
        eventTypePath: vars.HMAC_EVENT_TYPE_PATH,
        emailPath: vars.HMAC_EMAIL_PATH,
        subjectPath: vars.HMAC_SUBJECT_PATH,
        deprovisionEvents: vars.HMAC_DEPROVISION_EVENTS,
      },
      targets,
      cfApiBaseUrl: vars.CF_API_BASE_URL,
      cfApiTimeoutMs: Math.round(vars.CF_API_TIMEOUT_SECONDS * 1000),
      revokeDevices: vars.REVOKE_DEVICES,
      warpSessionReauth: vars.WARP_SESSION_REAUTH,
      dryRun: vars.DRY_RUN,
      revokeRatePerSecond: vars.REVOKE_RATE_PER_SECOND,
      signatureToleranceSeconds: vars.SIGNATURE_TOLERANCE_SECONDS,
      auditRetentionDays: vars.AUDIT_RETENTION_DAYS,
    },
  };
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
