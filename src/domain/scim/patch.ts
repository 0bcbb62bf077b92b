// SCIM PATCH (RFC 7644 §3.5.2) applied to a stored resource, tolerant of what real IdPs send:
// capitalised op values ("Replace", "Add"), a path-less replace whose value is an object of attributes
// (Okta) or of dotted / schema-URN-prefixed keys (Entra: "name.givenName", "urn:…:enterprise:2.0:User:
// manager"), value paths (emails[type eq "work"].value, members[value eq "…"]), and member values sent
// as bare strings.
// Contract: pure; returns a new resource or throws ScimPatchError (→ 400 invalidPath / invalidValue).
import { type FilterNode, getIgnoringCase, matchesFilter, parseAttributePath, parseFilter, ScimFilterError } from "./filter";

export class ScimPatchError extends Error {
  constructor(
    readonly scimType: "invalidPath" | "invalidValue" | "invalidSyntax" | "noTarget",
    message: string,
  ) {
    super(message);
  }
}

export type PatchOperation = { op: string; path?: string; value?: unknown };
const MAX_OPERATIONS = 1000;
type Json = Record<string, unknown>;

type ParsedPath = { schema: string | null; attribute: string; sub: string | null; filter: FilterNode | null };

function parsePatchPath(path: string): ParsedPath {
  try {
    const bracket = path.indexOf("[");
    if (bracket === -1) {
      const parsed = parseAttributePath(path);
      return { schema: parsed.schema, attribute: parsed.names[0]!, sub: parsed.names[1] ?? null, filter: null };
    }
    const close = path.lastIndexOf("]");
    if (close < bracket) throw new ScimPatchError("invalidPath", `invalid path ${path}`);
    const parsed = parseAttributePath(path.slice(0, bracket));
    const after = path.slice(close + 1);
    if (after !== "" && !/^\.[A-Za-z$][\w$-]*$/.test(after)) throw new ScimPatchError("invalidPath", `invalid path ${path}`);
    return {
      schema: parsed.schema,
      attribute: parsed.names[0]!,
      sub: after === "" ? null : after.slice(1),
      filter: parseFilter(path.slice(bracket + 1, close)),
    };
  } catch (error) {
    if (error instanceof ScimPatchError) throw error;
    if (error instanceof ScimFilterError) throw new ScimPatchError("invalidPath", error.message);
    throw error;
  }
}

/** The key actually stored for `name` in `object` (its existing spelling), or `name` itself. */
function keyFor(object: Json, name: string): string {
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower) ?? name;
}

function containerFor(resource: Json, schema: string | null, create: boolean): Json | null {
  if (!schema) return resource;
  const key = keyFor(resource, schema);
  const existing = resource[key];
  if (existing && typeof existing === "object" && !Array.isArray(existing)) return existing as Json;
  if (!create) return null;
  const made: Json = {};
  resource[key] = made;
  return made;
}

/** Members and other multi-valued complex attributes arrive as strings from some clients. */
function asElements(value: unknown): unknown[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((element) => (typeof element === "string" || typeof element === "number" ? { value: String(element) } : element));
}

function sameElement(a: unknown, b: unknown): boolean {
  const [va, vb] = [getIgnoringCase(a, "value"), getIgnoringCase(b, "value")];
  return va !== undefined && va === vb;
}

function applyOne(resource: Json, op: "add" | "replace" | "remove", path: ParsedPath, value: unknown): void {
  const container = containerFor(resource, path.schema, op !== "remove");
  if (!container) return;
  const key = keyFor(container, path.attribute);

  if (path.filter) {
    const current = Array.isArray(container[key]) ? (container[key] as unknown[]) : [];
    const filter = path.filter;
    if (op === "remove") {
      if (path.sub) {
        for (const element of current) if (matchesFilter(element, filter)) delete (element as Json)[keyFor(element as Json, path.sub)];
      } else {
        container[key] = current.filter((element) => !matchesFilter(element, filter));
      }
      return;
    }
    const matched = current.filter((element) => matchesFilter(element, filter));
    if (matched.length === 0) {
      // Entra replaces emails[type eq "work"].value on a user with no work email: create that element.
      if (filter.kind === "compare" && filter.op === "eq" && filter.path.names.length === 1) {
        const element: Json = { [filter.path.names[0]!]: filter.value };
        if (path.sub) element[path.sub] = value;
        else if (value && typeof value === "object") Object.assign(element, value);
        container[key] = [...current, element];
      }
      return;
    }
    for (const element of matched as Json[]) {
      if (path.sub) element[keyFor(element, path.sub)] = value;
      else if (value && typeof value === "object" && !Array.isArray(value)) Object.assign(element, value);
    }
    return;
  }

  if (path.sub) {
    if (op === "remove") {
      const parent = container[key];
      if (parent && typeof parent === "object" && !Array.isArray(parent)) delete (parent as Json)[keyFor(parent as Json, path.sub)];
      return;
    }
    const parent = container[key] && typeof container[key] === "object" && !Array.isArray(container[key]) ? (container[key] as Json) : {};
    parent[keyFor(parent, path.sub)] = value;
    container[key] = parent;
    return;
  }

  if (op === "remove") {
    if (Array.isArray(container[key]) && value !== undefined) {
      const removals = asElements(value);
      container[key] = (container[key] as unknown[]).filter((element) => !removals.some((removal) => sameElement(element, removal)));
    } else {
      delete container[key];
    }
    return;
  }
  if (op === "add" && Array.isArray(container[key])) {
    const existing = container[key] as unknown[];
    const additions = asElements(value).filter((addition) => !existing.some((element) => sameElement(element, addition)));
    container[key] = [...existing, ...additions];
    return;
  }
  if (op === "add" && key.toLowerCase() === "members") {
    container[key] = asElements(value);
    return;
  }
  if (op === "add" && value && typeof value === "object" && !Array.isArray(value) && container[key] && typeof container[key] === "object") {
    Object.assign(container[key] as Json, value);
    return;
  }
  container[key] = value;
}

export function applyPatch(resource: Json, operations: PatchOperation[]): Json {
  if (operations.length > MAX_OPERATIONS) throw new ScimPatchError("invalidValue", `at most ${MAX_OPERATIONS} operations in one PATCH`);
  const next = structuredClone(resource);
  for (const operation of operations) {
    const op = String(operation.op ?? "").toLowerCase();
    if (op !== "add" && op !== "replace" && op !== "remove") throw new ScimPatchError("invalidSyntax", `unknown op ${operation.op}`);
    if (operation.path === undefined || operation.path === "") {
      if (op === "remove") throw new ScimPatchError("noTarget", "remove needs a path");
      if (!operation.value || typeof operation.value !== "object" || Array.isArray(operation.value)) {
        throw new ScimPatchError("invalidValue", "an operation without a path needs an object value");
      }
      for (const [key, value] of Object.entries(operation.value as Json)) {
        // A schema URN key holding an object is an extension: apply each of its attributes.
        if (/^urn:/i.test(key) && value && typeof value === "object" && !Array.isArray(value)) {
          for (const [attribute, inner] of Object.entries(value as Json)) applyOne(next, op, parsePatchPath(`${key}:${attribute}`), inner);
        } else {
          applyOne(next, op, parsePatchPath(key), value);
        }
      }
      continue;
    }
    if (typeof operation.path !== "string") throw new ScimPatchError("invalidPath", "path must be a string");
    applyOne(next, op, parsePatchPath(operation.path), operation.value);
  }
  return next;
}
