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

const booleanVar = (fallback: boolean) =>
  z.pipe(
    optionalString,
    z.transform((raw: string | undefined, ctx) => {
      const value = (raw ?? "").trim().toLowerCase();
      if (value === "") return fallback;
      if (value === "true" || value === "1" || value === "yes") return true;
      if (value === "false" || value === "0" || value === "no") return false;
      ctx.issues.push({ code: "custom", message: "must be true or false", input: raw });
      return z.NEVER;
    }),
  );

const numberVar = (fallback: number, min: number, max: number) =>
  z.pipe(
    optionalString,
    z.transform((raw: string | undefined, ctx) => {
      const value = (raw ?? "").trim();
      if (value === "") return fallback;
      const parsed = Number(value);
      if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
        ctx.issues.push({ code: "custom", message: `must be a number from ${min} to ${max}`, input: raw });
        return z.NEVER;
      }
      return parsed;
    }),
  );

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

const apiBaseUrl = z.pipe(
  optionalString,
  z.transform((raw: string | undefined, ctx) => {
    const value = (raw ?? "").trim() || DEFAULT_CF_API_BASE_URL;
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      ctx.issues.push({ code: "custom", message: "must be an http(s) URL", input: raw });
      return z.NEVER;
    }
    return value.replace(/\/+$/, "");
  }),
);

const EnvSchema = z.object({
  CF_API_TOKEN: secretList,
  OPERATOR_TOKEN: secretList,
  WEBHOOK_SECRET_STANDARD: secretList,
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

export type Config = {
  cfApiTokens: string[];
  operatorTokens: string[];
  webhookSecrets: { standard: string[] };
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
      webhookSecrets: { standard: vars.WEBHOOK_SECRET_STANDARD },
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
