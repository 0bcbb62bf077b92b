// SCIM resources as stored and as answered: normalisation on the way in, projection on the way out, and
// the emails a deprovisioned user is revoked by.
// Contract: pure.
import { EmailSchema } from "../validation";
import { getIgnoringCase } from "./filter";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

export type Json = Record<string, unknown>;

/** Entra sends "True"/"False" strings; anything else that is not a boolean is left for validation. */
export function coerceActive(resource: Json): Json {
  const key = Object.keys(resource).find((name) => name.toLowerCase() === "active");
  if (key === undefined) return resource;
  const value = resource[key];
  if (key !== "active") delete resource[key];
  if (typeof value === "string" && /^(true|false)$/i.test(value)) resource.active = value.toLowerCase() === "true";
  else resource.active = value;
  return resource;
}

/** A password attribute under any spelling: `password`, or URN-qualified (`urn:…:User:password`). */
function isPasswordKey(key: string): boolean {
  const lower = key.toLowerCase();
  return lower === "password" || lower.endsWith(":password");
}

/**
 * Removes every password attribute at any depth (a PATCH value may nest one under a schema URN): a
 * password is never stored or echoed (RFC 7643 §4.1.1: returned "never").
 */
export function withoutPasswords(resource: Json): Json {
  const pending: unknown[] = [resource];
  while (pending.length > 0) {
    const value = pending.pop();
    if (!value || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      pending.push(...value);
      continue;
    }
    const object = value as Json;
    for (const key of Object.keys(object)) {
      if (isPasswordKey(key)) delete object[key];
      else pending.push(object[key]);
    }
  }
  return resource;
}

/** What is stored: the resource as sent, minus passwords (never stored or echoed) and server-owned keys. */
export function storableResource(input: Json): Json {
  const resource: Json = {};
  for (const [key, value] of Object.entries(input)) {
    const lower = key.toLowerCase();
    if (lower === "id" || lower === "meta") continue;
    resource[key] = value;
  }
  return coerceActive(withoutPasswords(resource));
}

/** How deeply `value` nests, counted without recursion (a hostile body could be thousands deep). */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (!current || typeof current !== "object") continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(current as Json)) pending.push([child, depth + 1]);
  }
  return deepest;
}

export function isActive(resource: Json): boolean {
  return getIgnoringCase(resource, "active") !== false;
}

export function userNameOf(resource: Json): string | null {
  const value = getIgnoringCase(resource, "userName");
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/** The addresses to revoke: the primary (else work, else first) email, and userName when it is a different email. */
export function revocableEmails(resource: Json): string[] {
  const emails = getIgnoringCase(resource, "emails");
  const list = Array.isArray(emails) ? emails : [];
  const pick =
    list.find((email) => getIgnoringCase(email, "primary") === true) ??
    list.find((email) => String(getIgnoringCase(email, "type") ?? "").toLowerCase() === "work") ??
    list[0];
  const candidates = [getIgnoringCase(pick, "value"), getIgnoringCase(resource, "userName")];
  const out = new Set<string>();
  for (const candidate of candidates) {
    const parsed = EmailSchema.safeParse(candidate);
    if (parsed.success) out.add(parsed.data);
  }
  return [...out];
}

/** `attributes` / `excludedAttributes` (RFC 7644 §3.9): top-level names, dotted sub-attributes, filters ignored. */
export function project(resource: Json, attributes: string | undefined, excluded: string | undefined): Json {
  const names = (list: string | undefined) =>
    (list ?? "")
      .split(",")
      .map((name) => name.trim().replace(/\[.*$/, "").toLowerCase())
      .filter((name) => name !== "");
  const include = names(attributes);
  const exclude = names(excluded);
  const always = new Set(["id", "schemas"]);
  const out: Json = {};
  for (const [key, value] of Object.entries(resource)) {
    const lower = key.toLowerCase();
    if (include.length > 0) {
      const wanted = always.has(lower) || include.some((name) => name === lower || name.startsWith(`${lower}.`) || name.startsWith(`${lower}:`));
      if (!wanted) continue;
      const subs = include.filter((name) => name.startsWith(`${lower}.`)).map((name) => name.slice(lower.length + 1));
      if (subs.length > 0 && value && typeof value === "object" && !Array.isArray(value)) {
        out[key] = Object.fromEntries(Object.entries(value as Json).filter(([sub]) => subs.includes(sub.toLowerCase())));
        continue;
      }
    } else if (exclude.includes(lower) && !always.has(lower)) {
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** The resource as answered: schemas, id, the stored attributes, meta (the route adds meta.location). */
export function presentScim(stored: { row: { kind: string; id: string; created: number; modified: number; version: number }; resource: Json }): Json {
  const schemas = Array.isArray(stored.resource.schemas) ? stored.resource.schemas : [stored.row.kind === "User" ? USER_SCHEMA : GROUP_SCHEMA];
  return {
    ...stored.resource,
    schemas,
    id: stored.row.id,
    meta: {
      resourceType: stored.row.kind,
      created: new Date(stored.row.created).toISOString(),
      lastModified: new Date(stored.row.modified).toISOString(),
      version: `W/"${stored.row.version}"`,
    },
  };
}

/** The ids of a Group's members (`members[].value`), in order, without repeats. */
export function memberIds(resource: Json): string[] {
  const members = getIgnoringCase(resource, "members");
  if (!Array.isArray(members)) return [];
  const ids = members.map((member) => (member && typeof member === "object" ? getIgnoringCase(member as Json, "value") : undefined));
  return [...new Set(ids.filter((id): id is string => typeof id === "string" && id.length > 0))];
}
