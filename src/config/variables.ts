// The variable kit: how one environment variable is read, one reader per kind (a boolean, a number in a
// range, Cloudflare ids, a URL, a header name, a choice, a JSON path, word and group lists, text). Each is a
// zod pipe from the raw string: blank means the default, anything else is read or reported.
// Contract: a problem says what the variable must be, never what it held.
import * as z from "zod/mini";

/** Where revocations go unless ACCESS_API_BASE_URL says otherwise. */
const DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4";

export const optionalString = z.optional(z.string());

/** A comma- or space-separated list of plain words (event types, ids): never secrets. */
function splitWords(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((value) => value.length > 0);
}

/**
 * An optional variable: blank means `fallback`; otherwise `read` turns the trimmed text into a value,
 * or answers undefined and the variable is reported with `problem`.
 */
export function variable<T, F extends T | null>(fallback: F, problem: string, read: (value: string) => T | undefined) {
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

export const BOOLEAN_WORDS = new Map([
  ["true", true],
  ["1", true],
  ["yes", true],
  ["false", false],
  ["0", false],
  ["no", false],
]);

export const booleanVar = (fallback: boolean) => variable(fallback, "must be true or false", (value) => BOOLEAN_WORDS.get(value.toLowerCase()));

function numberIn(value: string, min: number, max: number): number | undefined {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed >= min && parsed <= max ? parsed : undefined;
}

export const numberVar = (fallback: number, min: number, max: number) =>
  variable(fallback, `must be a number from ${min} to ${max}`, (value) => numberIn(value, min, max));

/** A number in a range, or blank for none. */
export const optionalNumberVar = (min: number, max: number) =>
  variable<number, null>(null, `must be a number from ${min} to ${max}, or blank`, (value) => numberIn(value, min, max));

/** `auto` (the default) or a number in a range. */
export const autoOrNumberVar = (min: number, max: number) =>
  variable<number | "auto", "auto">("auto", `must be auto or a number from ${min} to ${max}`, (value) =>
    value.toLowerCase() === "auto" ? "auto" : numberIn(value, min, max),
  );

// Cloudflare account and zone ids are 32 hex digits; anything else would be spliced into the API path.
export const cloudflareIdList = variable([] as string[], "each id must be 32 hexadecimal characters", (value) => {
  const ids = splitWords(value);
  return ids.every((id) => /^[0-9a-f]{32}$/i.test(id)) ? [...new Set(ids.map((id) => id.toLowerCase()))] : undefined;
});

export const apiBaseUrl = variable(DEFAULT_API_BASE_URL, "must be an http(s) URL", (value) =>
  URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) ? value.replace(/\/+$/, "") : undefined,
);

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1"]);

/**
 * The Worker's own public origin (PUBLIC_URL), from which managed connections build the addresses they
 * hand to providers: https, or http to this machine (wrangler dev); no path, query, fragment or credentials,
 * which an origin cannot carry. Answers the origin alone, so a trailing slash makes no difference.
 */
export const publicOrigin = variable(
  null,
  "must be the Worker's https origin, such as https://revoker.example.com (http only for localhost or 127.0.0.1), without a path, query or credentials",
  (value) => {
    if (!URL.canParse(value)) return undefined;
    const url = new URL(value);
    const secure = url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
    const bare = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === "";
    return secure && bare && !value.endsWith("?") && !value.endsWith("#") ? url.origin : undefined;
  },
);

/**
 * ALERT_WEBHOOK_URL: where alerts go (a Slack or Teams incoming webhook, or any JSON endpoint): https, or
 * http to this machine (a local receiver). Its path and query stay as written: a Slack webhook's path is its
 * credential, so the value is a secret and never appears in a problem, a note or /v1/stats (its host may).
 */
export const alertWebhookUrl = variable(
  null,
  "must be an https URL (http only for localhost or 127.0.0.1), without credentials or fragment",
  (value) => {
    if (!URL.canParse(value)) return undefined;
    const url = new URL(value);
    const secure = url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
    return secure && url.username === "" && url.password === "" && url.hash === "" ? value : undefined;
  },
);

export const headerName = <F extends string | null>(fallback: F) =>
  variable(fallback, "must be an HTTP header name", (value) => (/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(value) ? value : undefined));

export const choice = <T extends string>(values: readonly T[], fallback: T) =>
  variable(fallback, `must be one of ${values.join(", ")}`, (value) => values.find((candidate) => candidate.toLowerCase() === value.toLowerCase()));

export const jsonPath = <F extends string | null>(fallback: F) =>
  variable(fallback, "must be a dotted JSON path such as data.user.email", (value) =>
    /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/.test(value) ? value : undefined,
  );

export const wordList = (fallback: string) =>
  z.pipe(
    optionalString,
    z.transform((raw: string | undefined) => splitWords(raw?.trim() || fallback)),
  );

/** Group display names (comma-separated), or "*" for any group; blank: off. Compared without regard to case. */
export const groupList = z.pipe(
  optionalString,
  z.transform((raw: string | undefined) => {
    const names = (raw ?? "")
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name.length > 0);
    return { any: names.includes("*"), names: names.filter((name) => name !== "*").map((name) => name.toLowerCase()) };
  }),
);

export const textVar = (fallback: string) =>
  z.pipe(
    optionalString,
    z.transform((raw: string | undefined) => raw ?? fallback),
  );

/** https, or http to this machine (a local stand-in in development); no credentials, query or fragment. */
function isServiceUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") return false;
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
}

/** A URL the Worker calls or is named by (an IdP, an audience): https, http only for loopback; no trailing slash. */
export const serviceUrl = <F extends string | null>(fallback: F) =>
  variable(fallback, "must be an https URL without credentials, query or fragment (http only for localhost)", (value) =>
    isServiceUrl(value) ? value.replace(/\/+$/, "") : undefined,
  );

/** A Microsoft Entra directory (tenant) or application (client) id: a GUID, as the portal's Overview shows it. */
export const guidVar = variable(null, "must be a GUID such as 00000000-0000-0000-0000-000000000000 (the portal's Overview shows it)", (value) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ? value.toLowerCase() : undefined,
);

/** The longest silence threshold: a year. */
const MAX_SILENCE_HOURS = 8760;

/**
 * SOURCE_SILENCE_HOURS: a JSON object of source name (okta, scim, ssf-<name>, google, …) → hours, e.g.
 * {"okta": 72}: a source that has delivered nothing accepted for that long is noted silent.
 */
export const silenceHours = variable(
  new Map<string, number>(),
  `must be a JSON object of source name to hours (more than 0, at most ${MAX_SILENCE_HOURS}), such as {"okta": 72}`,
  (value) => {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      return undefined;
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
    const entries = Object.entries(json);
    const valid = entries.every(
      ([name, hours]) => /^[a-z0-9_-]{1,32}$/.test(name) && typeof hours === "number" && hours > 0 && hours <= MAX_SILENCE_HOURS,
    );
    return valid ? new Map(entries as [string, number][]) : undefined;
  },
);
