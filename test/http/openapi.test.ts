// The API describes itself: GET /openapi.json is an OpenAPI 3.1 document with every route of the app in
// it, and /reference renders it for people with nothing but its own inline style. That every answer the
// tests receive matches the document is checked on every workerFetch (helpers/openapi-check.ts); that the
// document is valid OpenAPI 3.1 is checked by two independent validators: ReadMe's @readme/openapi-parser
// here (it also checks what the JSON schemas cannot, such as every `{name}` of a path being a declared
// parameter), and @seriousme/openapi-schema-validator in Node (test/e2e/wrangler-dev.test.ts).
import { Validator } from "@cfworker/json-schema";
import { validate } from "@readme/openapi-parser";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { apiDoc, openApiDocument } from "../../src/http/openapi";
import { renderReference } from "../../src/http/reference";
import { workerFetch } from "../helpers/worker";

type Parameter = { in: string; name: string; required: boolean; schema: unknown };
type Operation = {
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown>; example?: unknown }> };
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

  it("gives the operator API's request bodies an example for each media type, a JSON one valid by its own schema", async () => {
    const doc = await document();
    const bodies = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, operation]) =>
        Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => ({ where: `${method} ${path} ${type}`, type, ...media })),
      ),
    );
    const operator = bodies.filter((body) => body.where.includes(" /v1/"));
    expect(operator.length).toBeGreaterThanOrEqual(6);
    for (const body of operator) {
      expect(body.example, body.where).toBeDefined();
      if (body.type !== "application/json") expect(body.example, body.where).toMatch(/\n$/);
    }
    for (const body of bodies.filter((candidate) => candidate.type === "application/json" && candidate.example !== undefined)) {
      const result = new Validator(body.schema as never, "2020-12").validate(body.example);
      expect(result.errors, body.where).toEqual([]);
    }
  });

  it("describes no request body for a GET (a webhook's handshake shares its POST's description)", async () => {
    const doc = await document();
    expect(doc.paths["/webhooks/{source}"]?.post?.requestBody).toBeDefined();
    const withBodies = Object.entries(doc.paths).filter(([, methods]) => methods.get?.requestBody !== undefined);
    expect(withBodies.map(([path]) => path)).toEqual([]);
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

  it("renders each request body's schema (fields, types, required, limits) and its example", async () => {
    const html = await (await workerFetch("/reference")).text();
    const revoke = html.slice(html.indexOf('id="op-post-v1-revocations"'), html.indexOf('id="op-get-v1-revocations"'));
    expect(revoke).toContain("<h4>Body: <code>application/json</code></h4>");
    expect(revoke).toContain(
      '<tr><td data-label="field"><code>email</code></td><td data-label="type">string (email)</td><td data-label="required">yes</td><td data-label="limits">at most 254 characters</td></tr>',
    );
    expect(revoke).toContain(
      '<tr><td data-label="field"><code>user_uid</code></td><td data-label="type">string</td><td data-label="required"></td><td data-label="limits">1 to 200 characters</td></tr>',
    );
    expect(revoke).toContain("&quot;email&quot;: &quot;ana@example.com&quot;");
    const bulk = html.slice(html.indexOf('id="op-post-v1-revocations-bulk"'), html.indexOf('id="op-get-v1-jobs"'));
    expect(bulk).toContain("<h4>Body: <code>text/csv</code></h4>");
    expect(bulk).toContain("email,user_uid,reason\nana@example.com,,left the company");
    // A nested answer: the record's targets by their path.
    const record = html.slice(html.indexOf('id="op-get-v1-revocations-id"'), html.indexOf('id="op-post-v1-revocations-id-retry"'));
    expect(record).toContain(
      '<tr><td data-label="field"><code>results[].history[].http_status</code></td><td data-label="type">number | null</td><td data-label="required">yes</td>',
    );
  });

  // Regression (#18): at 390 px the tables scrolled inside themselves, their last columns out of sight with
  // nothing to say so. On a narrow screen each row is a card whose cells say which column they are.
  it("labels every table cell with its column, which a narrow screen shows when it stacks the rows", async () => {
    const html = await (await workerFetch("/reference")).text();
    const cells = [...html.matchAll(/<td( data-label="([^"]*)")?>/g)];
    expect(cells.length).toBeGreaterThan(100);
    expect(cells.filter((cell) => !cell[2])).toEqual([]);
    const answers = html.slice(html.indexOf('id="op-get-v1-revocations"'), html.indexOf('id="op-get-v1-revocations-id"'));
    expect(answers).toContain('<td data-label="parameter"><code>email</code></td><td data-label="in">query</td>');
    expect(answers).toContain('<td data-label="status">200</td><td data-label="meaning">');
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(style).toMatch(/@media \(max-width:40rem\)\{table,tbody,tr,td\{display:block\}tr:first-child\{display:none\}/);
    expect(style).toContain("td::before{content:attr(data-label)");
  });

  it("writes the document's `code spans` as code, never as backticks", async () => {
    const html = await (await workerFetch("/reference")).text();
    expect(html).toContain("<code>Idempotency-Key</code>");
    expect(html.replace(/<pre>[\s\S]*?<\/pre>/g, "")).not.toContain("`");
  });

  it("opens with a table of contents that links to every operation, each link to an anchor that exists", async () => {
    const html = await (await workerFetch("/reference")).text();
    const doc = await document();
    const contents = html.slice(html.indexOf('<nav aria-labelledby="contents">'), html.indexOf("</nav>"));
    const links = [...contents.matchAll(/href="#(op-[^"]+)"/g)].map((match) => match[1]);
    expect(links).toHaveLength(Object.values(doc.paths).flatMap((methods) => Object.keys(methods)).length);
    for (const anchor of [...html.matchAll(/href="#([^"]+)"/g)].map((match) => match[1])) expect(html, anchor).toContain(`id="${anchor}"`);
  });

  it("lists SCIM's RFC 7644 error answers once for the whole section, not under every route", async () => {
    const html = await (await workerFetch("/reference")).text();
    expect(html.split("no or wrong SCIM bearer token").length - 1).toBe(1);
    const scim = html.slice(html.indexOf('id="tag-scim"'));
    expect(scim.indexOf("Every route in this section may also answer:")).toBeLessThan(scim.indexOf("<h3"));
  });

  it("escapes every text of the document, in code spans too", () => {
    const html = renderReference({
      info: { title: "t<i>", description: "`<b>x</b>` and <script>alert(1)</script>" },
      tags: [{ name: "health", description: "d" }],
      paths: { "/x": { get: { summary: "<img src=x onerror=alert(1)>", tags: ["health"], responses: { 200: { description: '`a"b`' } } } } },
    });
    expect(html).not.toMatch(/<(script|img|b|i)\b/);
    expect(html).toContain("<code>&lt;b&gt;x&lt;/b&gt;</code>");
    expect(html).toContain("<code>a&quot;b</code>");
  });
});
