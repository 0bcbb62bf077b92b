// Every response a test receives through workerFetch is checked against the Worker's own OpenAPI
// document (GET /openapi.json): its status must be documented for that operation and a JSON body must
// validate against the documented schema. So the document cannot drift from what the routes answer
// without some test failing. @cfworker/json-schema validates without eval, as workerd requires.

import { exports } from "cloudflare:workers";
import { Validator } from "@cfworker/json-schema";

type Schema = Record<string, unknown>;
type Operation = {
  parameters?: { in: string; name: string; schema?: { enum?: string[]; pattern?: string } }[];
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};
type Document = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

let document: Promise<Document> | undefined;
const validators = new Map<string, Validator>();

function loadDocument(): Promise<Document> {
  document ??= exports.default.fetch(new Request("https://revoker.test/openapi.json")).then((response) => response.json() as Promise<Document>);
  return document;
}

/** A path template as a pattern: a parameter with an enum matches only those values. */
function patternOf(template: string, operation: Operation): RegExp {
  const source = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const schema = operation.parameters?.find((parameter) => parameter.in === "path" && parameter.name === name)?.schema;
    if (schema?.enum) return `(?:${schema.enum.join("|")})`;
    return schema?.pattern ? `(?:${schema.pattern.replace(/^\^|\$$/g, "")})` : "[^/]+";
  });
  return new RegExp(`^${source}$`);
}

/** The documented path that `path` is, preferring static segments over parameters (/v1/revocations/bulk over {id}). */
function operationOf(doc: Document, method: string, path: string): { template: string; operation: Operation } | null {
  const candidates = Object.entries(doc.paths)
    .filter(([template, methods]) => methods[method] && patternOf(template, methods[method]).test(path))
    .sort(([a], [b]) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  const [template, methods] = candidates[0] ?? [];
  return template && methods ? { template, operation: methods[method]! } : null;
}

/** Inlines `#/components/schemas/…` references (the only kind the document uses) and drops `$schema`. */
function resolved(schema: unknown, doc: Document): unknown {
  if (Array.isArray(schema)) return schema.map((item) => resolved(item, doc));
  if (!schema || typeof schema !== "object") return schema;
  const object = schema as Schema;
  if (typeof object.$ref === "string") return resolved(doc.components?.schemas?.[object.$ref.split("/").at(-1)!], doc);
  return Object.fromEntries(
    Object.entries(object)
      .filter(([key]) => key !== "$schema")
      .map(([key, value]) => [key, resolved(value, doc)]),
  );
}

/** Throws when the response is not what the document says this operation answers. */
export async function checkAgainstDocument(request: Request, response: Response): Promise<void> {
  const url = new URL(request.url);
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  if (path === "/openapi.json") return;
  const doc = await loadDocument();
  const method = request.method.toLowerCase() === "head" ? "get" : request.method.toLowerCase();
  const found = operationOf(doc, method, path);
  // Routes the document does not have (a wrong method, an unknown path) answer 404/405 from one handler.
  if (!found) return;
  const where = `${request.method} ${found.template}`;
  const documented = found.operation.responses?.[String(response.status)] ?? found.operation.responses?.default;
  if (!documented) throw new Error(`${where} answered ${response.status}, which the OpenAPI document does not list`);
  const type = response.headers.get("Content-Type")?.split(";")[0]?.trim() ?? "";
  if (type !== "application/json" && type !== "application/scim+json") return;
  const schema = documented.content?.[type]?.schema;
  // SCIM resources are RFC 7643's, summarised without a schema; every other JSON answer has one.
  if (!schema && type === "application/scim+json") return;
  if (!schema) throw new Error(`${where} answered ${response.status} with JSON, but the document gives that answer no JSON schema`);
  const key = `${where} ${response.status}`;
  let validator = validators.get(key);
  if (!validator) {
    validator = new Validator(resolved(schema, doc) as Schema, "2020-12", false);
    validators.set(key, validator);
  }
  const body: unknown = await response.clone().json();
  const result = validator.validate(body);
  if (!result.valid) {
    const errors = result.errors.slice(0, 5).map((error) => `${error.instanceLocation}: ${error.error}`);
    throw new Error(
      `${where} ${response.status} does not match the OpenAPI document: ${errors.join("; ")}\nbody: ${JSON.stringify(body).slice(0, 1000)}`,
    );
  }
}
