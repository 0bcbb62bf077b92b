// Parses the Worker's environment once into a typed Config (the schema's output type): the schema
// (schema.ts) over the variable kit (variables.ts) and the secret checks (secrets.ts), then what spans
// variables: requirements, the Shared Signals secrets by transmitter, deprecated names and ignored settings.
// Contract: every problem is reported at once, by variable name only; a value (secret or not) never
// appears in one. Problems make the Worker answer 503; notes (deprecations, ignored settings) do not.
// Node-loadable (npm run send-event reads the configuration with it): nothing of the Worker's runtime.
import type * as z from "zod/mini";
import { managedConnectionSettings } from "./managed-connections";
import { ConfigSchema } from "./schema";
import { type SsfSecrets, ssfSecretsOf } from "./secrets";
import { configuredSources } from "./sources";
import { BOOLEAN_WORDS } from "./variables";

export type { SecretSource } from "./schema";
export type { SsfSecrets } from "./secrets";
export { configuredSources } from "./sources";

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
  if (blank("ACCESS_API_TOKEN") && blank("ACCESS_API_TOKENS") && BOOLEAN_WORDS.get((vars.DRY_RUN ?? "").trim().toLowerCase()) !== true) {
    problems.push("ACCESS_API_TOKEN: required unless DRY_RUN=true (or a token for every target in ACCESS_API_TOKENS)");
  }
  if (blank("OPERATOR_TOKEN")) problems.push("OPERATOR_TOKEN: required");
  if (!blank("GOOGLE_SERVICE_ACCOUNT_KEY") && blank("GOOGLE_ADMIN_EMAIL")) {
    problems.push("GOOGLE_ADMIN_EMAIL: required by GOOGLE_SERVICE_ACCOUNT_KEY: the admin the service account acts for (domain-wide delegation)");
  }
  const managed = managedConnectionSettings(vars);
  if (managed.length > 0 && blank("PUBLIC_URL")) {
    problems.push(
      `PUBLIC_URL: required by ${managed.join(", ")}: a managed connection gives its provider addresses on this Worker's public origin (e.g. https://revoker.example.com)`,
    );
  }
  return problems;
}

/**
 * Every target needs a token (its own in ACCESS_API_TOKENS, or ACCESS_API_TOKEN) unless DRY_RUN: a problem
 * names each target without one (ids are not secrets); an ACCESS_API_TOKENS entry for no configured target is
 * noted, counted, never named.
 */
function targetTokenChecks(config: z.output<typeof ConfigSchema>, vars: Record<string, string>): { problems: string[]; notes: string[] } {
  const problems: string[] = [];
  const notes: string[] = [];
  if ((vars.ACCESS_API_TOKENS ?? "").trim() === "" && (vars.ACCESS_API_TOKEN ?? "").trim() === "") return { problems, notes };
  const targets = config.targets.map((target) => `${target.kind}/${target.id}`);
  if (!config.dryRun) {
    for (const target of targets.filter((candidate) => !config.targetTokens.has(candidate))) {
      problems.push(`ACCESS_API_TOKENS: no token for ${target}; add one for it, or set ACCESS_API_TOKEN for the targets without their own`);
    }
  }
  const unused = [...config.ownTargetTokens.keys()].filter((target) => !targets.includes(target)).length;
  if (unused > 0) {
    notes.push(`ACCESS_API_TOKENS: ${unused} entr${unused === 1 ? "y names" : "ies name"} no target in ACCESS_ACCOUNT_ID or ACCESS_ZONE_ID; unused`);
  }
  return { problems, notes };
}

/** Settings that still parse but do nothing or will change: shown in /healthz, never fatal. */
function notesFor(vars: Record<string, string>): string[] {
  const notes: string[] = [];
  if ((vars.GOOGLE_SERVICE_ACCOUNT_KEY ?? "").trim() !== "" && (vars.WEBHOOK_SECRET_GOOGLE ?? "").trim() !== "") {
    notes.push(
      "WEBHOOK_SECRET_GOOGLE: ignored while GOOGLE_SERVICE_ACCOUNT_KEY is set: the Worker keeps its own channel and accepts only that channel's tokens",
    );
  }
  if ((vars.HMAC_EVENT_ID_HEADER ?? "").trim() !== "") {
    notes.push(
      "HMAC_EVENT_ID_HEADER: ignored; an unsigned header cannot de-duplicate deliveries. The event id comes from HMAC_EVENT_ID_PATH in the signed body, or from the body's SHA-256.",
    );
  }
  if ((vars.ALERT_WEBHOOK_SECRET ?? "").trim() !== "" && (vars.ALERT_WEBHOOK_URL ?? "").trim() === "") {
    notes.push("ALERT_WEBHOOK_SECRET: ignored; no alert is sent without ALERT_WEBHOOK_URL (see docs/operations.md#alerts)");
  }
  notes.push(...halfConfigured(vars));
  return notes;
}

/**
 * Universal Logout and Entra each need several settings; with some missing the feature stays off (a note,
 * not a problem: the other sources keep working) and the note names what is missing.
 */
function halfConfigured(vars: Record<string, string>): string[] {
  const set = (name: string) => (vars[name] ?? "").trim() !== "";
  const notes: string[] = [];
  if (set("OKTA_ORG_URL") && !set("OKTA_UNIVERSAL_LOGOUT_AUDIENCE") && !set("PUBLIC_URL")) {
    notes.push("OKTA_UNIVERSAL_LOGOUT_AUDIENCE: not set, nor PUBLIC_URL to build it from, so Okta Universal Logout is off");
  }
  if (!set("ENTRA_TENANT_ID")) {
    const strays = ["ENTRA_CLIENT_ID", "ENTRA_CLIENT_SECRET", "ENTRA_CLIENT_CERTIFICATE"].filter(set);
    if (strays.length > 0) notes.push(`${strays.join(", ")}: ignored while ENTRA_TENANT_ID is not set (Entra is off)`);
    return notes;
  }
  if (!set("ENTRA_CLIENT_ID")) notes.push("ENTRA_CLIENT_ID: not set, so Entra is off (the app registration's Application (client) ID)");
  if (!set("ENTRA_CLIENT_SECRET") && !set("ENTRA_CLIENT_CERTIFICATE")) {
    notes.push("ENTRA_CLIENT_SECRET: not set, nor ENTRA_CLIENT_CERTIFICATE, so Entra is off (the app needs one credential)");
  }
  if (!set("PUBLIC_URL")) notes.push("PUBLIC_URL: not set, so Entra is off (Graph's notification URL is built from it)");
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
  const tokens = parsed.success ? targetTokenChecks(parsed.data, vars) : { problems: [], notes: [] };
  problems.push(...tokens.problems);
  const notes = [...renameNotes, ...notesFor(vars), ...ssf.notes, ...tokens.notes];
  if (!parsed.success || problems.length > 0) return { ok: false, problems, notes };
  notes.push(...silenceNotes(parsed.data));
  return { ok: true, config: { ...parsed.data, ssfSecrets: ssf.secrets }, notes };
}

/** A silence threshold for a source this configuration does not turn on would never be reached: most likely a typo. */
function silenceNotes(config: z.output<typeof ConfigSchema>): string[] {
  const sources = new Set(configuredSources(config));
  return [...config.silenceHours.keys()]
    .filter((name) => !sources.has(name))
    .map(
      (name) =>
        `SOURCE_SILENCE_HOURS: ${name} is not a source this configuration turns on (a webhook source, scim or ssf-<name>); its threshold applies only once it is`,
    );
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
