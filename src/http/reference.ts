// GET /reference: the OpenAPI document rendered for people, as one self-contained page (no script, no
// external asset; a CSP that allows only its own inline style by hash). Hand-written rather than a
// reference renderer (Swagger UI, Scalar), which would load a large script from a CDN into an operator's
// browser. A table of contents, then each tag's operations with their parameters, request bodies (their
// schemas as tables, and examples) and answers (a JSON answer's schema folded under <details>). Answers
// every operation of a tag gives alike (SCIM's RFC 7644 errors) are listed once, at the tag. On a narrow
// screen (≤ 40rem, a phone) each table row is a card of labelled cells: a table that scrolled inside itself
// hid its last columns with nothing to say they were there.
// Contract: pure rendering of the document; every text is escaped (reference-schema.ts).
import { cspHashSource } from "../crypto/sha256";
import { escapeHtml, type JsonSchema, limitsOf, prose, schemaHtml, tableHtml, typeOf } from "./reference-schema";

type Parameter = { name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema };
type Media = { schema?: JsonSchema; example?: unknown };
type Response = { description?: string; content?: Record<string, Media> };
type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { description?: string; content?: Record<string, Media> };
  responses?: Record<string, Response>;
  security?: Record<string, unknown>[];
};
type Document = {
  info: { title: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
};
type Entry = { path: string; method: string; operation: Operation; anchor: string };

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:62rem;padding:1rem 1.5rem;color:#1d1d1f}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid #ddd}h3{font:600 1rem ui-monospace,monospace;margin:2rem 0 .25rem;overflow-wrap:anywhere}
h4{font-size:.95rem;margin:1rem 0 .25rem}nav ol{padding-left:1.25rem}nav li{margin:.1rem 0}nav a{text-decoration:none}
.method{display:inline-block;min-width:4.5rem;font-weight:700}.get{color:#0a6}.post{color:#06c}.put,.patch{color:#a60}.delete{color:#c33}
table{border-collapse:collapse;margin:.25rem 0 .75rem;font-size:.9rem;display:block;overflow-x:auto;max-width:100%}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
td{overflow-wrap:break-word}code{font-family:ui-monospace,monospace;font-size:.9em;background:#f3f3f5;padding:0 .2em;border-radius:3px}
pre{background:#f3f3f5;padding:.5rem .75rem;overflow-x:auto;border-radius:4px}pre code{background:none;padding:0}
details{margin:.25rem 0}summary{cursor:pointer}.muted{color:#666}
@media (max-width:40rem){table,tbody,tr,td{display:block}tr:first-child{display:none}tr{border:1px solid #ddd;border-radius:4px;margin:.4rem 0;padding:.2rem .5rem}
td{border:0;padding:.1rem 0;overflow-wrap:anywhere}td:empty{display:none}td::before{content:attr(data-label) ": ";color:#666}}`;

/** An operation's id in the page: "op-post-v1-revocations-id-retry". */
const anchorOf = (method: string, path: string) => `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}`;

const sameAnswer = (a: Response | undefined, b: Response | undefined) => a !== undefined && JSON.stringify(a) === JSON.stringify(b);

/** The answers every operation of a tag gives alike, by status (none when the tag has one operation). */
function sharedAnswers(entries: Entry[]): Record<string, Response> {
  if (entries.length < 2) return {};
  const [first, ...rest] = entries;
  return Object.fromEntries(
    Object.entries(first?.operation.responses ?? {}).filter(([status, answer]) =>
      rest.every((entry) => sameAnswer(entry.operation.responses?.[status], answer)),
    ),
  );
}

function exampleHtml(example: unknown): string {
  const text = typeof example === "string" ? example : JSON.stringify(example, null, 2);
  return `<p class="muted">Example:</p>\n<pre><code>${escapeHtml(text)}</code></pre>`;
}

function bodyHtml(type: string, media: Media): string {
  return [
    `<h4>Body: <code>${escapeHtml(type)}</code></h4>`,
    schemaHtml(media.schema ?? {}),
    ...(media.example === undefined ? [] : [exampleHtml(media.example)]),
  ].join("\n");
}

function answersHtml(answers: [string, Response][]): string {
  const rows = answers.map(([status, answer]) => {
    const bodies = Object.entries(answer.content ?? {}).map(([type, media]) => {
      const schema = media.schema ?? {};
      const name = escapeHtml(typeOf(schema));
      const label = `<code>${escapeHtml(type)}</code> ${schema.$ref ? `<a href="#schema-${name}">${name}</a>` : name}`;
      return schema.properties || schema.anyOf || schema.oneOf ? `<details><summary>${label}</summary>\n${schemaHtml(schema)}\n</details>` : label;
    });
    return [escapeHtml(status), prose(answer.description), bodies.join("<br>")];
  });
  return tableHtml(["status", "meaning", "body"], rows);
}

function operationHtml({ path, method, operation, anchor }: Entry, shared: Record<string, Response>): string {
  const parameters = operation.parameters ?? [];
  const security = operation.security?.length
    ? ` <span class="muted">(bearer ${escapeHtml(Object.keys(operation.security[0] ?? {})[0])})</span>`
    : "";
  const parts = [
    `<h3 id="${anchor}"><span class="method ${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</h3>`,
    `<p>${prose(operation.summary)}${security}</p>`,
  ];
  if (operation.description) parts.push(`<p class="muted">${prose(operation.description)}</p>`);
  if (parameters.length > 0) {
    parts.push(
      tableHtml(
        ["parameter", "in", "type", "required", "limits"],
        parameters.map((parameter) => [
          `<code>${escapeHtml(parameter.name)}</code>`,
          escapeHtml(parameter.in),
          escapeHtml(typeOf(parameter.schema)),
          parameter.required ? "yes" : "",
          escapeHtml(limitsOf(parameter.schema ?? {})),
        ]),
      ),
    );
  }
  if (operation.requestBody?.description) parts.push(`<p>Body: ${prose(operation.requestBody.description)}</p>`);
  for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) parts.push(bodyHtml(type, media));
  const own = Object.entries(operation.responses ?? {}).filter(([status]) => !(status in shared));
  if (own.length > 0) parts.push("<h4>Answers</h4>", answersHtml(own));
  return parts.join("\n");
}

function sectionHtml(tag: { name: string; description?: string }, entries: Entry[]): string {
  const shared = sharedAnswers(entries);
  const common = Object.entries(shared);
  return [
    `<h2 id="tag-${escapeHtml(tag.name)}">${escapeHtml(tag.name)}</h2>`,
    `<p>${prose(tag.description)}</p>`,
    ...(common.length > 0 ? ["<p>Every route in this section may also answer:</p>", answersHtml(common)] : []),
    ...entries.map((entry) => operationHtml(entry, shared)),
  ].join("\n");
}

function contentsHtml(sections: { name: string; description?: string; entries: Entry[] }[]): string {
  const items = sections.map(
    (section) =>
      `<li><a href="#tag-${escapeHtml(section.name)}">${escapeHtml(section.name)}</a>: ${prose(section.description)}\n<ol>${section.entries
        .map(
          (entry) =>
            `<li><a href="#${entry.anchor}"><span class="method ${entry.method}">${entry.method.toUpperCase()}</span> <code>${escapeHtml(entry.path)}</code></a> ${prose(entry.operation.summary)}</li>`,
        )
        .join("\n")}</ol></li>`,
  );
  return `<nav aria-labelledby="contents"><h2 id="contents">Contents</h2>\n<ol>\n${items.join("\n")}\n</ol></nav>`;
}

function componentsHtml(schemas: Record<string, JsonSchema>): string {
  const entries = Object.entries(schemas);
  if (entries.length === 0) return "";
  return [
    '<h2 id="schemas">Shared schemas</h2>',
    ...entries.map(([name, schema]) => `<h3 id="schema-${escapeHtml(name)}">${escapeHtml(name)}</h3>\n${schemaHtml(schema)}`),
  ].join("\n");
}

export function renderReference(document: Document): string {
  const sections = (document.tags ?? [])
    .map((tag) => ({
      ...tag,
      entries: Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.entries(methods)
          .filter(([, operation]) => operation.tags?.includes(tag.name))
          .map(([method, operation]) => ({ path, method, operation, anchor: anchorOf(method, path) })),
      ),
    }))
    .filter((section) => section.entries.length > 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.info.title)} API reference</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(document.info.title)} API reference</h1>
<p>${prose(document.info.description)}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
${contentsHtml(sections)}
<main>
${sections.map((section) => sectionHtml(section, section.entries)).join("\n")}
${componentsHtml(document.components?.schemas ?? {})}
</main>
</body></html>`;
}

let styleHash: Promise<string> | undefined;

/** The page's Content-Security-Policy: nothing but its own inline style. */
export function referencePolicy(): Promise<string> {
  styleHash ??= cspHashSource(STYLE);
  return styleHash.then((source) => `default-src 'none'; style-src ${source}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
}
