// /scim/v2: SCIM 2.0 (RFC 7643/7644) for Okta, Microsoft Entra ID and JumpCloud provisioning.
// authenticate (Bearer SCIM_TOKEN, constant time) → validate at the edge → one ledger call → answer. A refused
// token is counted with the other refused deliveries (source scim, reason unauthorized: http/delivery-report.ts).
// Users and Groups live in the ledger (strongly consistent); a user going from active to inactive (PATCH,
// PUT or DELETE) is revoked in the same transaction. Errors are always the RFC 7644 §3.12 body.
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import type { ScimOutcome } from "../domain/scim/outcome";
import type { PatchOperation } from "../domain/scim/patch";
import { type Json, LIST_RESPONSE_SCHEMA, nestingDepth, project } from "../domain/scim/resource";
import { requireBearer } from "../http/bearer-auth";
import { reportAcceptance, reportRejection } from "../http/delivery-report";
import { onLedger } from "../http/ledger";
import { apiDoc, type RouteDoc } from "../http/openapi";
import type { ScimKind } from "../ledger/scim/store";
import { listResponse, RESOURCE_TYPES, SCHEMAS, SERVICE_PROVIDER_CONFIG } from "./discovery";
import { answerScimError, ScimErrorSchema, scimError, scimFailure, scimJson } from "./errors";

const MAX_SCIM_BODY_BYTES = 256 * 1024;
const DEFAULT_COUNT = 100;
const MAX_COUNT = 200;
const MAX_BODY_DEPTH = 32;
const RESOURCE_PATHS: Record<string, ScimKind> = { Users: "User", Groups: "Group" };

/** Lets IdPs use any case and a trailing slash: /scim/v2/users/ → /scim/v2/Users. Used as the app's getPath. */
export function normalizeScimPath(path: string): string {
  const match = /^\/scim\/v2(\/[^/]*)?(\/.*)?$/i.exec(path);
  if (!match) return path;
  const canonical: Record<string, string> = {
    users: "Users",
    groups: "Groups",
    schemas: "Schemas",
    resourcetypes: "ResourceTypes",
    serviceproviderconfig: "ServiceProviderConfig",
    serviceproviderconfigs: "ServiceProviderConfig",
    serviceconfiguration: "ServiceProviderConfig",
  };
  const segment = match[1]?.slice(1) ?? "";
  const resource = canonical[segment.toLowerCase()] ?? segment;
  const rest = (match[2] ?? "").replace(/\/+$/, "");
  return `/scim/v2${resource ? `/${resource}` : ""}${rest}`;
}

export const scimRoutes = new Hono<AppEnv>();

scimRoutes.onError(answerScimError);
scimRoutes.use(
  "*",
  requireBearer({
    realm: "access-revoker SCIM",
    tokens: (c) => c.get("config").scimTokens,
    disabled: (c) => scimError(c, 404, "SCIM is not enabled: set SCIM_TOKEN"),
    unauthorized: (c) => {
      reportRejection(c, "scim", "unauthorized", Date.now());
      return scimError(c, 401, "a valid SCIM bearer token is required");
    },
  }),
  // A write is noted as SCIM's last accepted delivery in its own transaction; a read, here in the background.
  createMiddleware<AppEnv>(async function noteScimRead(c, next) {
    if (c.req.method === "GET") reportAcceptance(c, "scim", Date.now());
    await next();
  }),
  bodyLimit({ maxSize: MAX_SCIM_BODY_BYTES, onError: (c) => scimError(c, 413, `body exceeds ${MAX_SCIM_BODY_BYTES} bytes`) }),
);

/** SCIM's routes in the OpenAPI document: their resources are RFC 7643's, summarised rather than restated. */
const scimDoc = (summary: string, ok: Record<number, string>, pathParams?: RouteDoc["pathParams"]) =>
  apiDoc({
    summary,
    pathParams,
    tag: "scim",
    auth: "scim",
    ok: {
      ...Object.fromEntries(Object.entries(ok).map(([status, description]) => [status, { description, mediaType: SCIM_MEDIA_TYPE }])),
      ...Object.fromEntries(
        Object.entries(SCIM_ERRORS).map(([status, description]) => [status, { description, schema: ScimErrorSchema, mediaType: SCIM_MEDIA_TYPE }]),
      ),
    },
    errors: [],
  });
const SCIM_ERRORS = {
  400: "invalid request; scimType says why (invalidSyntax, invalidValue, invalidFilter, invalidPath, noTarget, mutability)",
  401: "no or wrong SCIM bearer token",
  404: "no such resource, or SCIM is off (SCIM_TOKEN unset)",
  409: "userName is already taken (scimType uniqueness)",
  413: "the body is too large",
  500: "internal error",
  503: "not configured, or the ledger is unavailable (retry)",
};
const SCIM_MEDIA_TYPE = "application/scim+json";
const RESOURCE = ":resource{(?:Users|Groups)}";
const RESOURCE_ENUM = { resource: { enum: ["Users", "Groups"] } };

scimRoutes.get("/ServiceProviderConfig", scimDoc("What this SCIM service supports", { 200: "the configuration" }), (c) =>
  scimJson(c, SERVICE_PROVIDER_CONFIG),
);
scimRoutes.get("/ResourceTypes", scimDoc("The resource types (User, Group)", { 200: "a ListResponse" }), (c) =>
  scimJson(c, listResponse(RESOURCE_TYPES)),
);
scimRoutes.get("/ResourceTypes/:id", scimDoc("One resource type", { 200: "the resource type" }), (c) => {
  const found = RESOURCE_TYPES.find((type) => type.id.toLowerCase() === c.req.param("id").toLowerCase());
  return found ? scimJson(c, found) : scimError(c, 404, "no such resource type");
});
scimRoutes.get("/Schemas", scimDoc("The schemas", { 200: "a ListResponse" }), (c) => scimJson(c, listResponse(SCHEMAS)));
scimRoutes.get("/Schemas/:id", scimDoc("One schema", { 200: "the schema" }), (c) => {
  const found = SCHEMAS.find((schema) => schema.id.toLowerCase() === c.req.param("id").toLowerCase());
  return found ? scimJson(c, found) : scimError(c, 404, "no such schema");
});

function kindOf(c: Context<AppEnv>): ScimKind | null {
  return RESOURCE_PATHS[c.req.param("resource") ?? ""] ?? null;
}

function locationOf(c: Context<AppEnv>, kind: ScimKind, id: string): string {
  return `${new URL(c.req.url).origin}/scim/v2/${kind === "User" ? "Users" : "Groups"}/${id}`;
}

function present(c: Context<AppEnv>, kind: ScimKind, stored: Json | string): Json {
  const resource = typeof stored === "string" ? (JSON.parse(stored) as Json) : stored;
  const meta = { ...(resource.meta as Json), location: locationOf(c, kind, String(resource.id)) };
  return project({ ...resource, meta }, c.req.query("attributes"), c.req.query("excludedAttributes"));
}

/** A ledger call's outcome: the value, or the failure rendered in the SCIM error shape. */
async function fromLedger<T>(
  c: Context<AppEnv>,
  call: Parameters<typeof onLedger<ScimOutcome<T>>>[1],
): Promise<{ value: T } | { response: Response }> {
  const outcome = await onLedger(c.env, call, "the SCIM request");
  return outcome.ok ? { value: outcome.value } : { response: scimFailure(c, outcome.failure) };
}

/** The body as a JSON object, or why not (SCIM resources are shallow: deeper nesting is refused, not recursed into). */
async function readObject(c: Context<AppEnv>): Promise<{ ok: true; value: Json } | { ok: false; detail: string }> {
  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch {
    return { ok: false, detail: "the body is not valid JSON" };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return { ok: false, detail: "the body is not a JSON object" };
  if (nestingDepth(value, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) return { ok: false, detail: `the body nests deeper than ${MAX_BODY_DEPTH} levels` };
  return { ok: true, value: value as Json };
}

/**
 * startIndex or count (RFC 7644 §3.4.2.4): a decimal integer that a JSON number carries exactly (the
 * ListResponse echoes startIndex), else null. Never a fallback: a value read as another (1 for a number
 * past 2^53, 12 for "12abc") would answer a page the client did not ask for.
 */
function pageParam(raw: string | undefined, fallback: number): number | null {
  if (raw === undefined) return fallback;
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isSafeInteger(value) ? value : null;
}

scimRoutes.get(
  `/${RESOURCE}`,
  scimDoc("List or filter Users or Groups (filter, startIndex, count)", { 200: "a ListResponse" }, RESOURCE_ENUM),
  async function listResources(c) {
    const kind = kindOf(c);
    if (!kind) return scimError(c, 404, "no such endpoint");
    const filter = c.req.query("filter")?.trim() || undefined;
    const [requestedStart, requestedCount] = [pageParam(c.req.query("startIndex"), 1), pageParam(c.req.query("count"), DEFAULT_COUNT)];
    if (requestedStart === null) return scimError(c, 400, "startIndex must be an integer between -(2^53 - 1) and 2^53 - 1", "invalidValue");
    if (requestedCount === null) return scimError(c, 400, "count must be an integer between -(2^53 - 1) and 2^53 - 1", "invalidValue");
    // Less than 1 is read as 1 and a negative count as 0 (§3.4.2.4); past the last resource, the page is empty.
    const startIndex = Math.max(1, requestedStart);
    const count = Math.min(MAX_COUNT, Math.max(0, requestedCount));
    const result = await fromLedger<{ resources: string; total: number }>(c, (ledger) => ledger.scim().list(kind, filter, startIndex, count));
    if ("response" in result) return result.response;
    const page = (JSON.parse(result.value.resources) as Json[]).map((resource) => present(c, kind, resource));
    return scimJson(c, { schemas: [LIST_RESPONSE_SCHEMA], totalResults: result.value.total, startIndex, itemsPerPage: page.length, Resources: page });
  },
);

scimRoutes.post(
  `/${RESOURCE}`,
  scimDoc("Create a User or Group", { 201: "the resource, with Location" }, RESOURCE_ENUM),
  async function createResource(c) {
    const kind = kindOf(c);
    if (!kind) return scimError(c, 404, "no such endpoint");
    const body = await readObject(c);
    if (!body.ok) return scimError(c, 400, body.detail, "invalidSyntax");
    const result = await fromLedger<string>(c, (ledger) => ledger.scim().create(kind, body.value));
    if ("response" in result) return result.response;
    const created = present(c, kind, result.value);
    return scimJson(c, created, 201, { Location: locationOf(c, kind, String(created.id)) });
  },
);

scimRoutes.get(`/${RESOURCE}/:id`, scimDoc("One User or Group", { 200: "the resource" }, RESOURCE_ENUM), async function getResource(c) {
  const kind = kindOf(c);
  if (!kind) return scimError(c, 404, "no such endpoint");
  const result = await fromLedger<string>(c, (ledger) => ledger.scim().get(kind, c.req.param("id")));
  return "response" in result ? result.response : scimJson(c, present(c, kind, result.value));
});

scimRoutes.put(
  `/${RESOURCE}/:id`,
  scimDoc("Replace a User or Group (active false, or members dropped from a named group, revokes)", { 200: "the resource" }, RESOURCE_ENUM),
  async function replaceResource(c) {
    const kind = kindOf(c);
    if (!kind) return scimError(c, 404, "no such endpoint");
    const body = await readObject(c);
    if (!body.ok) return scimError(c, 400, body.detail, "invalidSyntax");
    const result = await fromLedger<string>(c, (ledger) => ledger.scim().update(kind, c.req.param("id"), { replace: body.value }));
    return "response" in result ? result.response : scimJson(c, present(c, kind, result.value));
  },
);

scimRoutes.patch(
  `/${RESOURCE}/:id`,
  scimDoc(
    "Patch a User or Group (RFC 7644 PatchOp; active false, or members removed from a named group, revokes)",
    {
      204: "patched",
      200: "patched, with the resource (Prefer: return=representation or ?attributes=)",
    },
    RESOURCE_ENUM,
  ),
  async function patchResource(c) {
    const kind = kindOf(c);
    if (!kind) return scimError(c, 404, "no such endpoint");
    const body = await readObject(c);
    if (!body.ok) return scimError(c, 400, body.detail, "invalidSyntax");
    const operations = body.value.Operations ?? body.value.operations;
    if (!Array.isArray(operations) || operations.some((operation) => !operation || typeof operation !== "object")) {
      return scimError(c, 400, "a PatchOp body needs an Operations array", "invalidSyntax");
    }
    const result = await fromLedger<string>(c, (ledger) => ledger.scim().update(kind, c.req.param("id"), { patch: operations as PatchOperation[] }));
    if ("response" in result) return result.response;
    // Microsoft's reference answers 204; a client that asks for the resource gets it.
    const wantsResource = c.req.query("attributes") !== undefined || /return=representation/i.test(c.req.header("Prefer") ?? "");
    return wantsResource ? scimJson(c, present(c, kind, result.value)) : c.body(null, 204);
  },
);

scimRoutes.delete(
  `/${RESOURCE}/:id`,
  scimDoc("Delete a User (revokes an active one) or Group (revokes its members when the group is named)", { 204: "deleted" }, RESOURCE_ENUM),
  async function deleteResource(c) {
    const kind = kindOf(c);
    if (!kind) return scimError(c, 404, "no such endpoint");
    const result = await fromLedger<string>(c, (ledger) => ledger.scim().remove(kind, c.req.param("id")));
    return "response" in result ? result.response : c.body(null, 204);
  },
);
