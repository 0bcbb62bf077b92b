// The API describes itself: each route carries its description (`apiDoc`, next to its handler) and the
// zod schemas it validates with; GET /openapi.json assembles them into an OpenAPI 3.1 document, once per
// isolate. hono-openapi (the Standard Schema route describer for Hono) walks the app's routes and turns
// the zod/mini schemas into JSON Schema with zod's own converter; we keep the document's shape (errors,
// security, tags) here, in one place. It costs the bundle the converter, not a prebuilt copy of the document.
import type { Hono } from "hono";
import { describeRoute, generateSpecs, resolver } from "hono-openapi";
import * as z from "zod/mini";
import { type ErrorCode, STATUS_OF_CODE } from "./errors";

const ErrorSchema = z.object({
  error: z.looseObject({ code: z.enum(Object.keys(STATUS_OF_CODE) as [ErrorCode, ...ErrorCode[]]), message: z.string() }),
});

type Schema = Parameters<typeof resolver>[0];

/** One answer of a route: a JSON schema, or a body of another media type, or none (204). */
type Answer = {
  description: string;
  schema?: Schema;
  mediaType?: string;
  headers?: Record<string, { description: string; schema: { type: "string" } }>;
};

export type RouteDoc = {
  summary: string;
  description?: string;
  tag: "revocations" | "jobs" | "drain" | "audit" | "directory" | "webhooks" | "scim" | "health";
  /** The operator and SCIM surfaces need their bearer token; webhooks prove themselves by signature. */
  auth?: "operator" | "scim" | "none";
  body?: { schema?: Schema; mediaTypes: string[]; description?: string };
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
};

function content(answer: Answer) {
  if (!answer.schema && !answer.mediaType) return undefined;
  // Without a schema: text for text, NDJSON and HTML bodies; an object (described in prose) for JSON ones (SCIM's).
  const schema = answer.schema
    ? resolver(answer.schema)
    : /json$/.test(answer.mediaType ?? "")
      ? { type: "object" as const }
      : { type: "string" as const };
  return { [answer.mediaType ?? "application/json"]: { schema } };
}

/** The route's description for the document (a pass-through middleware that carries it). */
export function apiDoc(doc: RouteDoc) {
  const auth = doc.auth ?? "operator";
  const responses: Record<string, { description: string; content?: ReturnType<typeof content>; headers?: Answer["headers"] }> = {};
  for (const [status, answer] of Object.entries(doc.ok))
    responses[status] = { description: answer.description, content: content(answer), headers: answer.headers };
  const codes = [...new Set([...SURFACE_ERRORS[auth], ...(doc.errors ?? [])])];
  for (const code of codes) {
    const status = String(STATUS_OF_CODE[code]);
    const known = responses[status]?.description;
    responses[status] = { description: known ? `${known}; ${code}` : code, content: { "application/json": { schema: resolver(ErrorSchema) } } };
  }
  return describeRoute({
    summary: doc.summary,
    description: doc.description,
    tags: [doc.tag],
    parameters: Object.entries(doc.pathParams ?? {}).map(([name, rule]) => ({
      in: "path",
      name,
      required: true,
      schema: "enum" in rule ? { type: "string" as const, enum: rule.enum } : { type: "string" as const, pattern: rule.pattern },
    })),
    security: auth === "operator" ? [{ operatorToken: [] }] : auth === "scim" ? [{ scimToken: [] }] : [],
    requestBody: doc.body
      ? {
          required: true,
          description: doc.body.description,
          content: Object.fromEntries(
            doc.body.mediaTypes.map((type) => [type, { schema: doc.body?.schema ? resolver(doc.body.schema) : { type: "string" } }]),
          ),
        }
      : undefined,
    responses,
  });
}

let document: Promise<unknown> | undefined;

/** The OpenAPI 3.1 document of `app`, assembled once per isolate. */
// biome-ignore lint/suspicious/noExplicitAny: any app's routes are described the same way
export function openApiDocument(app: Hono<any>): Promise<unknown> {
  document ??= generateSpecs(app, {
    documentation: {
      openapi: "3.1.0",
      info: {
        title: "access-revoker",
        version: "1",
        description:
          'Revokes Cloudflare Access sessions and devices when an identity provider deprovisions someone. Operator routes need `Authorization: Bearer <OPERATOR_TOKEN>`; SCIM routes `Bearer <SCIM_TOKEN>`; webhooks prove themselves by their provider\'s signature. Errors are `{"error": {"code", "message"}}` (SCIM: RFC 7644 errors). Times are ISO 8601 strings, null for never.',
      },
      servers: [{ url: "/" }],
      tags: [
        { name: "revocations", description: "Revoke one person, see what happened" },
        { name: "jobs", description: "Bulk offboarding" },
        { name: "drain", description: "The pace, lanes, pauses and token holds" },
        { name: "audit", description: "The KV audit trail" },
        { name: "directory", description: "Subject id ↔ email, for id-only events" },
        { name: "webhooks", description: "Identity providers' signed deliveries" },
        { name: "scim", description: "SCIM 2.0 (RFC 7643/7644) for Okta, Entra ID, JumpCloud" },
        { name: "health", description: "Configuration and the document itself" },
      ],
      components: {
        securitySchemes: {
          operatorToken: { type: "http", scheme: "bearer", description: "OPERATOR_TOKEN" },
          scimToken: { type: "http", scheme: "bearer", description: "SCIM_TOKEN" },
        },
      },
    },
    excludeStaticFile: false,
    defaultValidationErrorResponse: {
      description: "invalid_request",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    },
  }).then((spec) => ({ ...spec, components: { ...spec.components, schemas: { ...spec.components?.schemas, Error: z.toJSONSchema(ErrorSchema) } } }));
  return document;
}
