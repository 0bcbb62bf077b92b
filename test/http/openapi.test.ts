// The API describes itself: GET /openapi.json is an OpenAPI 3.1 document with every route of the app in
// it, and /reference renders it for people with nothing but its own inline style. That every answer the
// tests receive matches the document is checked on every workerFetch (helpers/openapi-check.ts); that the
// document is valid OpenAPI 3.1 is checked by two independent validators: ReadMe's @readme/openapi-parser
// here (it also checks what the JSON schemas cannot, such as every `{name}` of a path being a declared
// parameter), and @seriousme/openapi-schema-validator in Node (test/e2e/wrangler-dev.test.ts).
import { validate } from "@readme/openapi-parser";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { apiDoc, openApiDocument } from "../../src/http/openapi";
import { workerFetch } from "../helpers/worker";

type Parameter = { in: string; name: string; required: boolean; schema: unknown };
type Operation = {
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  responses?: Record<string, unknown>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

const document = async () => (await (await workerFetch("/openapi.json")).json()) as Document;

/** A Hono route path as OpenAPI writes it: `:id{rev_…}` → `{id}`. */
const openApiPath = (path: string) =>
  path
    .split("/")
    .map((segment) => (segment.startsWith(":") ? `{${/^:([^{?]+)/.exec(segment)![1]}}` : segment))
    .join("/");

describe("GET /openapi.json", () => {
  it("is OpenAPI 3.1 and describes every route the app has, by path and method", async () => {
    const doc = await document();
    expect(doc.openapi).toBe("3.1.0");
    const routes = app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${openApiPath(route.path)}`);
    expect(routes.length).toBeGreaterThan(30);
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(new Set(documented)).toEqual(new Set(routes));
  });

  it("is valid by @readme/openapi-parser: every path parameter is declared", async () => {
    // The parser dereferences the document it is given: a copy, so the assertions read the original.
    const result = await validate(structuredClone(await document()) as Parameters<typeof validate>[0]);
    expect(result.valid ? [] : result.errors.map((error) => error.message)).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it("declares each path parameter with what the route's pattern allows", async () => {
    const doc = await document();
    const parameters = (path: string, method: string) => (doc.paths[path]?.[method]?.parameters ?? []).filter((parameter) => parameter.in === "path");
    expect(parameters("/scim/v2/Schemas/{id}", "get")).toEqual([{ in: "path", name: "id", required: true, schema: { type: "string" } }]);
    expect(parameters("/v1/revocations/{id}", "get")).toEqual([
      { in: "path", name: "id", required: true, schema: { type: "string", pattern: "^rev_[0-9a-f]{32}$" } },
    ]);
  });

  it("declares a path parameter no route describes, with the pattern its Hono path restricts it to", () => {
    const described = new Hono();
    const doc = apiDoc({ summary: "a thing", tag: "health", auth: "none", ok: { 204: { description: "done" } } });
    described.get("/things/:id{t_[0-9]+}/parts/:part", doc, (c) => c.body(null, 204));
    const operation = (openApiDocument(described) as Document).paths["/things/{id}/parts/{part}"]?.get;
    expect(operation?.parameters).toEqual([
      { in: "path", name: "id", required: true, schema: { type: "string", pattern: "^(?:t_[0-9]+)$" } },
      { in: "path", name: "part", required: true, schema: { type: "string" } },
    ]);
  });

  it("gives every operation a summary, a tag and its answers; operator routes name their bearer token", async () => {
    const doc = await document();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const where = `${method} ${path}`;
        expect(operation.summary, where).toBeTruthy();
        expect(operation.tags, where).toHaveLength(1);
        expect(Object.keys(operation.responses ?? {}).length, where).toBeGreaterThan(0);
        if (path.startsWith("/v1/")) {
          expect(operation.security, where).toEqual([{ operatorToken: [] }]);
          expect(operation.responses, where).toHaveProperty("401");
        }
      }
    }
  });
});

describe("GET /reference", () => {
  it("renders every path for people, with a CSP that allows only its own inline style", async () => {
    const response = await workerFetch("/reference");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("text/html");
    const policy = response.headers.get("Content-Security-Policy") ?? "";
    expect(policy).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*';/);
    const html = await response.text();
    expect(html).not.toContain("<script");
    expect(html).not.toMatch(/(src|href)="https?:/);
    for (const path of Object.keys((await document()).paths)) expect(html, path).toContain(path);
    // The style block's hash is the one the policy allows.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const digest = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style)))));
    expect(policy).toContain(`'sha256-${digest}'`);
  });
});
