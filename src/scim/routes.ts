// /scim/v2: SCIM 2.0 (RFC 7643/7644) for Okta, Microsoft Entra ID and JumpCloud provisioning.
// authenticate (Bearer SCIM_TOKEN, constant time) → validate at the edge → one ledger call → answer.
// Users and Groups live in the ledger (strongly consistent); a user going from active to inactive (PATCH,
// PUT or DELETE) is revoked in the same transaction. Errors are always the RFC 7644 §3.12 body.
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { ledgerFor } from "../ledger/client";
import type { ScimFailure } from "../ledger/ledger";
import type { ScimKind } from "../ledger/scim-store";
import { logEvent } from "../log";
import { bearerToken } from "../operator/auth";
import { matchesAnySecret } from "../sources/hmac";
import { listResponse, RESOURCE_TYPES, SCHEMAS, SERVICE_PROVIDER_CONFIG } from "./discovery";
import { scimError, scimJson } from "./errors";
import type { PatchOperation } from "./patch";
import { LIST_RESPONSE_SCHEMA, nestingDepth, project, type Json } from "./resource";

const MAX_SCIM_BODY_BYTES = 256 * 1024;
const DEFAULT_COUNT = 100;
const MAX_COUNT = 200;
const MAX_PAGE_PARAM = 2_147_483_647;
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

scimRoutes.use(
  "*",
  createMiddleware<AppEnv>(async function requireScimToken(c, next) {
    const tokens = c.get("config").scimTokens;
    if (tokens.length === 0) return scimError(c, 404, "SCIM is not enabled: set SCIM_TOKEN");
    if (!(await matchesAnySecret(bearerToken(c.req.header("Authorization")), tokens))) {
      c.header("WWW-Authenticate", 'Bearer realm="access-revoker SCIM"');
      return scimError(c, 401, "a valid SCIM bearer token is required");
    }
    await next();
  }),
  bodyLimit({ maxSize: MAX_SCIM_BODY_BYTES, onError: (c) => scimError(c, 413, `body exceeds ${MAX_SCIM_BODY_BYTES} bytes`) }),
);

scimRoutes.get("/ServiceProviderConfig", (c) => scimJson(c, SERVICE_PROVIDER_CONFIG));
scimRoutes.get("/ResourceTypes", (c) => scimJson(c, listResponse(RESOURCE_TYPES)));
scimRoutes.get("/ResourceTypes/:id", (c) => {
  const found = RESOURCE_TYPES.find((type) => type.id.toLowerCase() === c.req.param("id").toLowerCase());
  return found ? scimJson(c, found) : scimError(c, 404, "no such resource type");
});
scimRoutes.get("/Schemas", (c) => scimJson(c, listResponse(SCHEMAS)));
scimRoutes.get("/Schemas/:id", (c) => {
  const found = SCHEMAS.find((schema) => schema.id.toLowerCase() === c.req.param("id").toLowerCase());
  return found ? scimJson(c, found) : scimError(c, 404, "no such schema");
});
scimRoutes.all("/ServiceProviderConfig", (c) => scimError(c, 405, "discovery endpoints are read-only"));
scimRoutes.all("/ResourceTypes/*", (c) => scimError(c, 405, "discovery endpoints are read-only"));
scimRoutes.all("/ResourceTypes", (c) => scimError(c, 405, "discovery endpoints are read-only"));
scimRoutes.all("/Schemas/*", (c) => scimError(c, 405, "discovery endpoints are read-only"));
scimRoutes.all("/Schemas", (c) => scimError(c, 405, "discovery endpoints are read-only"));

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

function answerFailure(c: Context<AppEnv>, result: ScimFailure) {
  return scimError(c, result.status, result.detail, result.scimType);
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

/** startIndex and count (RFC 7644 §3.4.2.4): integers, clamped to what SQLite and a page can hold. */
function pageParam(raw: string | undefined, fallback: number): number {
  const value = Number.parseInt(raw ?? "", 10);
  return Number.isFinite(value) ? Math.min(value, MAX_PAGE_PARAM) : fallback;
}

scimRoutes.get("/:resource", async function listResources(c) {
  const kind = kindOf(c);
  if (!kind) return scimError(c, 404, "no such endpoint");
  const filter = c.req.query("filter")?.trim() || undefined;
  const startIndex = Math.max(1, pageParam(c.req.query("startIndex"), 1));
  const count = Math.min(MAX_COUNT, Math.max(0, pageParam(c.req.query("count"), DEFAULT_COUNT)));
  const result = await ledgerFor(c.env).scimList(kind, filter, startIndex, count);
  if (!result.ok) return answerFailure(c, result);
  const page = (JSON.parse(result.resources) as Json[]).map((resource) => present(c, kind, resource));
  return scimJson(c, { schemas: [LIST_RESPONSE_SCHEMA], totalResults: result.total, startIndex, itemsPerPage: page.length, Resources: page });
});

scimRoutes.post("/:resource", async function createResource(c) {
  const kind = kindOf(c);
  if (!kind) return scimError(c, 404, "no such endpoint");
  const body = await readObject(c);
  if (!body.ok) return scimError(c, 400, body.detail, "invalidSyntax");
  const result = await ledgerFor(c.env).scimCreate(kind, body.value);
  if (!result.ok) return answerFailure(c, result);
  const created = present(c, kind, result.resource);
  return scimJson(c, created, 201, { Location: locationOf(c, kind, String(created.id)) });
});

scimRoutes.get("/:resource/:id", async function getResource(c) {
  const kind = kindOf(c);
  if (!kind) return scimError(c, 404, "no such endpoint");
  const result = await ledgerFor(c.env).scimGet(kind, c.req.param("id"));
  return result.ok ? scimJson(c, present(c, kind, result.resource)) : answerFailure(c, result);
});

scimRoutes.put("/:resource/:id", async function replaceResource(c) {
  const kind = kindOf(c);
  if (!kind) return scimError(c, 404, "no such endpoint");
  const body = await readObject(c);
  if (!body.ok) return scimError(c, 400, body.detail, "invalidSyntax");
  const result = await ledgerFor(c.env).scimUpdate(kind, c.req.param("id"), { replace: body.value });
  return result.ok ? scimJson(c, present(c, kind, result.resource)) : answerFailure(c, result);
});

scimRoutes.patch("/:resource/:id", async function patchResource(c) {
  const kind = kindOf(c);
  if (!kind) return scimError(c, 404, "no such endpoint");
  const body = await readObject(c);
  if (!body.ok) return scimError(c, 400, body.detail, "invalidSyntax");
  const operations = body.value.Operations ?? body.value.operations;
  if (!Array.isArray(operations) || operations.some((operation) => !operation || typeof operation !== "object")) {
    return scimError(c, 400, "a PatchOp body needs an Operations array", "invalidSyntax");
  }
  const result = await ledgerFor(c.env).scimUpdate(kind, c.req.param("id"), { patch: operations as PatchOperation[] });
  if (!result.ok) return answerFailure(c, result);
  // Microsoft's reference answers 204; a client that asks for the resource gets it.
  const wantsResource = c.req.query("attributes") !== undefined || /return=representation/i.test(c.req.header("Prefer") ?? "");
  return wantsResource ? scimJson(c, present(c, kind, result.resource)) : c.body(null, 204);
});

scimRoutes.delete("/:resource/:id", async function deleteResource(c) {
  const kind = kindOf(c);
  if (!kind) return scimError(c, 404, "no such endpoint");
  const result = await ledgerFor(c.env).scimDelete(kind, c.req.param("id"));
  return result.ok ? c.body(null, 204) : answerFailure(c, result);
});

scimRoutes.all("*", (c) => scimError(c, 405, "method not allowed on this endpoint"));

// Anything unforeseen still answers in the SCIM error shape (RFC 7644 §3.12), never the JSON one.
scimRoutes.onError(function answerScimError(error, c) {
  logEvent("scim.error", { path: new URL(c.req.url).pathname, error: String(error) });
  return scimError(c, 500, "internal error");
});
