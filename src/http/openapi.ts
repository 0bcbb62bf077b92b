// The API describes itself: each route carries its description (`apiDoc`, beside its handler) and the
// zod schemas it validates with (`validate`, http/validate.ts); GET /openapi.json assembles them into an
// OpenAPI 3.1 document, once per isolate, by walking the app's route table. Schemas become JSON Schema
// through zod's own converter (`z.toJSONSchema`). Hand-written rather than hono-openapi: that library
// brought classic zod with every locale through its schema-vendor layer and took the deployed bundle from
// 59 to 148 KiB gzipped (`npm run check:deploy`); this file is the ~150 lines we needed of it.
import type { Hono, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import * as z from "zod/mini";
import { type ErrorCode, STATUS_OF_CODE } from "./errors";

const ErrorSchema = z.object({
  error: z.looseObject({ code: z.enum(Object.keys(STATUS_OF_CODE) as [ErrorCode, ...ErrorCode[]]), message: z.string() }),
});

type Schema = z.core.$ZodType;
type JsonSchema = Record<string, unknown>;

/** One answer of a route: a JSON schema, or a body of another media type, or none (204). */
type Answer = {
  description: string;
  schema?: Schema;
  mediaType?: string;
  /** The same answer in other media types too (text, CSV, HTML), picked by the request (a report's format). */
  alsoAs?: string[];
  headers?: Record<string, { description: string; schema: { type: "string" } }>;
};

export type RouteDoc = {
  summary: string;
  description?: string;
  tag: "revocations" | "jobs" | "drain" | "alerts" | "audit" | "directory" | "webhooks" | "scim" | "health";
  /**
   * The operator and SCIM surfaces need their bearer token; webhooks prove themselves by signature;
   * `optional_operator` answers anyone, and the operator token shows more (/healthz).
   */
  auth?: "operator" | "scim" | "none" | "optional_operator";
  /** `examples`: a body per media type, as a client sends it (an object for JSON, text for the rest). */
  body?: { schema?: Schema; mediaTypes: string[]; description?: string; examples?: Record<string, unknown> };
  /** Path parameters the route's pattern restricts: to a set of values, or to a regular expression. */
  pathParams?: Record<string, { enum: string[] } | { pattern: string }>;
  ok: Record<number, Answer>;
  /** The error codes this route answers, beyond the ones every route of its surface does. */
  errors?: ErrorCode[];
};

const SURFACE_ERRORS: Record<NonNullable<RouteDoc["auth"]>, ErrorCode[]> = {
  operator: ["unauthorized", "invalid_request", "not_configured", "ledger_unavailable"],
  scim: [],
  none: ["not_configured"],
  optional_operator: ["not_configured"],
};

// OpenAPI Security Requirement Objects: any one listed satisfies, and an empty one makes the token optional.
const SECURITY_OF: Record<NonNullable<RouteDoc["auth"]>, Record<string, string[]>[]> = {
  operator: [{ operatorToken: [] }],
  scim: [{ scimToken: [] }],
  none: [],
  optional_operator: [{ operatorToken: [] }, {}],
};

const DOC = Symbol("route doc");
const INPUT = Symbol("validated input");

type Described = MiddlewareHandler & { [DOC]?: RouteDoc; [INPUT]?: { target: string; schema: Schema } };

/** The route's description for the document: a pass-through middleware that carries it. */
export function apiDoc(doc: RouteDoc): MiddlewareHandler {
  const middleware: Described = createMiddleware(async (_c, next) => {
    await next();
  });
  middleware[DOC] = doc;
  return middleware;
}

/** Marks a validation middleware with what it validates, so its parameters are in the document. */
export function documentedInput<M extends MiddlewareHandler>(middleware: M, target: string, schema: Schema): M {
  (middleware as Described)[INPUT] = { target, schema };
  return middleware;
}

function jsonSchema(schema: Schema, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...converted } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return converted;
}

function content(answer: Answer): Record<string, { schema: JsonSchema }> | undefined {
  if (!answer.schema && !answer.mediaType) return undefined;
  // Without a schema: text for text, NDJSON and HTML bodies; an object (described in prose) for JSON ones (SCIM's).
  const schema = answer.schema ? jsonSchema(answer.schema, "output") : /json$/.test(answer.mediaType ?? "") ? { type: "object" } : { type: "string" };
  const others = (answer.alsoAs ?? []).map((type) => [type, { schema: { type: "string" } }] as const);
  return { [answer.mediaType ?? "application/json"]: { schema }, ...Object.fromEntries(others) };
}

const ERROR_CONTENT = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };

type Parameter = { in: "path" | "query"; name: string; required: boolean; schema: JsonSchema };

/** The parameters an object schema validates (a query, a path's parameters). */
function parametersOf(where: "path" | "query", schema: Schema): Parameter[] {
  const converted = jsonSchema(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(converted.properties ?? {}).map(([name, property]) => ({
    in: where,
    name,
    required: where === "path" || (converted.required ?? []).includes(name),
    schema: property,
  }));
}

/**
 * Every parameter a Hono path names, so that none is undeclared (OpenAPI requires each `{name}` of a path
 * to be a parameter): `:id` as a string, `:id{rev_[0-9a-f]{32}}` with its pattern. What a route validates
 * or describes (`validate("param", …)`, `pathParams`) says more and replaces these.
 */
function namedPathParameters(honoPath: string): Parameter[] {
  return honoPath
    .split("/")
    .filter((segment) => segment.startsWith(":"))
    .map((segment): Parameter => {
      const [, name = segment.slice(1), pattern] = /^:([^{?]+)(?:\{(.*)\})?\??$/.exec(segment) ?? [];
      return { in: "path", name, required: true, schema: { type: "string", ...(pattern ? { pattern: `^(?:${pattern})$` } : {}) } };
    });
}

function requestBodyOf(body: NonNullable<RouteDoc["body"]>) {
  const schema = body.schema ? jsonSchema(body.schema, "input") : { type: "string" };
  return {
    required: true,
    ...(body.description ? { description: body.description } : {}),
    content: Object.fromEntries(
      body.mediaTypes.map((type) => [type, { schema, ...(body.examples?.[type] !== undefined ? { example: body.examples[type] } : {}) }]),
    ),
  };
}

function operationOf(method: string, honoPath: string, doc: RouteDoc, inputs: { target: string; schema: Schema }[]) {
  const auth = doc.auth ?? "operator";
  const responses: Record<string, { description: string; content?: unknown; headers?: Answer["headers"] }> = {};
  for (const [status, answer] of Object.entries(doc.ok))
    responses[status] = { description: answer.description, content: content(answer), headers: answer.headers };
  const validatesInput = inputs.length > 0;
  for (const code of new Set<ErrorCode>([
    ...SURFACE_ERRORS[auth],
    ...(doc.errors ?? []),
    ...(validatesInput ? (["invalid_request"] as const) : []),
  ])) {
    const status = String(STATUS_OF_CODE[code]);
    const known = responses[status]?.description;
    responses[status] = { description: known && !known.includes(code) ? `${known}; ${code}` : (known ?? code), content: ERROR_CONTENT };
  }
  const parameters = new Map<string, Parameter>();
  for (const parameter of namedPathParameters(honoPath)) parameters.set(`path ${parameter.name}`, parameter);
  for (const input of inputs) {
    if (input.target !== "query" && input.target !== "param") continue;
    for (const parameter of parametersOf(input.target === "param" ? "path" : "query", input.schema))
      parameters.set(`${parameter.in} ${parameter.name}`, parameter);
  }
  for (const [name, rule] of Object.entries(doc.pathParams ?? {})) {
    parameters.set(`path ${name}`, { in: "path", name, required: true, schema: { type: "string", ...rule } });
  }
  return {
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    security: SECURITY_OF[auth],
    parameters: [...parameters.values()],
    // A GET (a webhook's verification handshake shares its POST's description) sends no body.
    ...(doc.body && method !== "get" ? { requestBody: requestBodyOf(doc.body) } : {}),
    responses,
  };
}

/** A Hono path as OpenAPI writes it: `/v1/jobs/:id{job_…}` → `/v1/jobs/{id}`. */
function openApiPath(path: string): string {
  return path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? `{${/^:([^{?]+)/.exec(segment)?.[1] ?? segment.slice(1)}}` : segment))
    .join("/");
}

const DOCUMENT_INFO = {
  title: "access-revoker",
  version: "1",
  description:
    'Revokes Cloudflare Access sessions and devices when an identity provider deprovisions someone. Operator routes need `Authorization: Bearer <OPERATOR_TOKEN>`; SCIM routes `Bearer <SCIM_TOKEN>`; webhooks prove themselves by their provider\'s signature. Errors are `{"error": {"code", "message"}}` (SCIM: RFC 7644 errors). Times are ISO 8601 strings, null for never.',
};

const TAGS = [
  { name: "revocations", description: "Revoke one person, see what happened" },
  { name: "jobs", description: "Bulk offboarding" },
  { name: "drain", description: "The pace, lanes, pauses and token holds" },
  { name: "alerts", description: "Messages to a person through ALERT_WEBHOOK_URL" },
  { name: "audit", description: "The KV audit trail" },
  { name: "directory", description: "Subject id ↔ email, for id-only events" },
  { name: "webhooks", description: "Identity providers' signed deliveries" },
  { name: "scim", description: "SCIM 2.0 (RFC 7643/7644) for Okta, Entra ID, JumpCloud" },
  { name: "health", description: "Configuration and the document itself" },
];

// biome-ignore lint/suspicious/noExplicitAny: any app's route table reads the same
type AnyHono = Hono<any>;

const documents = new WeakMap<AnyHono, JsonSchema>();

/** Hono wraps a mounted sub-app's handlers (app.route) and keeps the original under this key. */
const COMPOSED_HANDLER = "__COMPOSED_HANDLER";

function innermost(handler: unknown): Described {
  let current = handler as Described & { [COMPOSED_HANDLER]?: unknown };
  while (current[COMPOSED_HANDLER]) current = current[COMPOSED_HANDLER] as typeof current;
  return current;
}

/** The OpenAPI 3.1 document of `app`'s described routes, assembled once per isolate. */
export function openApiDocument(app: AnyHono): JsonSchema {
  const cached = documents.get(app);
  if (cached) return cached;
  // Hono lists each middleware of a route as its own entry: gather them by method and path.
  const routes = new Map<string, { method: string; honoPath: string; path: string; doc?: RouteDoc; inputs: { target: string; schema: Schema }[] }>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const key = `${route.method} ${route.path}`;
    const entry = routes.get(key) ?? { method: route.method.toLowerCase(), honoPath: route.path, path: openApiPath(route.path), inputs: [] };
    const handler = innermost(route.handler);
    if (handler[DOC]) entry.doc = handler[DOC];
    if (handler[INPUT]) entry.inputs.push(handler[INPUT]);
    routes.set(key, entry);
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, honoPath, path, doc, inputs } of routes.values()) {
    if (!doc) continue;
    paths[path] = { ...paths[path], [method]: operationOf(method, honoPath, doc, inputs) };
  }
  const document = {
    openapi: "3.1.0",
    info: DOCUMENT_INFO,
    servers: [{ url: "/" }],
    tags: TAGS,
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorSchema, "output") },
      securitySchemes: {
        operatorToken: { type: "http", scheme: "bearer", description: "OPERATOR_TOKEN" },
        scimToken: { type: "http", scheme: "bearer", description: "SCIM_TOKEN" },
      },
    },
  };
  documents.set(app, document);
  return document;
}
