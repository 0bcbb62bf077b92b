// GET /reference: the OpenAPI document rendered for people, as one self-contained page (no script, no
// external asset; a CSP that allows only its own inline style by hash). Hand-written rather than a
// reference renderer (Swagger UI, Scalar), which would load a large script from a CDN into an operator's
// browser. Contract: pure rendering of the document; every text is escaped.

type Schema = { type?: string | string[]; enum?: unknown[]; format?: string; description?: string; $ref?: string; items?: Schema };
type Parameter = { name: string; in: string; required?: boolean; description?: string; schema?: Schema };
type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
  security?: Record<string, unknown>[];
};
type Document = {
  info: { title: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
};

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 1.5rem;color:#1d1d1f}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid #ddd}h3{font:600 1rem ui-monospace,monospace;margin:1.5rem 0 .25rem}
.method{display:inline-block;min-width:4.5rem;font-weight:700}.get{color:#0a6}.post{color:#06c}.put,.patch{color:#a60}.delete{color:#c33}
table{border-collapse:collapse;margin:.25rem 0 .75rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,monospace}.muted{color:#666}`;

const escapeHtml = (text: unknown) =>
  String(text ?? "").replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);

function typeOf(schema: Schema | undefined): string {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").at(-1) ?? "";
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? "");
  return schema.format ? `${type} (${schema.format})` : type === "array" ? `${typeOf(schema.items)}[]` : type;
}

function operationHtml(path: string, method: string, operation: Operation): string {
  const parameters = operation.parameters ?? [];
  const parts = [
    `<h3><span class="method ${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</h3>`,
    `<p>${escapeHtml(operation.summary)}${operation.security?.length ? ` <span class="muted">(bearer ${escapeHtml(Object.keys(operation.security[0] ?? {})[0])})</span>` : ""}</p>`,
  ];
  if (operation.description) parts.push(`<p class="muted">${escapeHtml(operation.description)}</p>`);
  if (parameters.length > 0) {
    parts.push(
      "<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th></tr>",
      ...parameters.map(
        (parameter) =>
          `<tr><td><code>${escapeHtml(parameter.name)}</code></td><td>${escapeHtml(parameter.in)}</td><td>${escapeHtml(typeOf(parameter.schema))}</td><td>${parameter.required ? "yes" : ""}</td></tr>`,
      ),
      "</table>",
    );
  }
  if (operation.requestBody?.content)
    parts.push(
      `<p>Body: ${Object.keys(operation.requestBody.content)
        .map((type) => `<code>${escapeHtml(type)}</code>`)
        .join(", ")}</p>`,
    );
  const responses = Object.entries(operation.responses ?? {});
  parts.push(
    "<table><tr><th>status</th><th>meaning</th></tr>",
    ...responses.map(([status, response]) => `<tr><td>${escapeHtml(status)}</td><td>${escapeHtml(response.description)}</td></tr>`),
    "</table>",
  );
  return parts.join("\n");
}

export function renderReference(document: Document): string {
  const sections = (document.tags ?? []).map((tag) => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.tags?.includes(tag.name))
        .map(([method, operation]) => operationHtml(path, method, operation)),
    );
    return operations.length === 0
      ? ""
      : `<h2 id="${escapeHtml(tag.name)}">${escapeHtml(tag.name)}</h2>\n<p>${escapeHtml(tag.description)}</p>\n${operations.join("\n")}`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.info.title)} API reference</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(document.info.title)} API reference</h1>
<p>${escapeHtml(document.info.description)}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
${sections.join("\n")}
</body></html>`;
}

let styleHash: Promise<string> | undefined;

/** The page's Content-Security-Policy: nothing but its own inline style. */
export function referencePolicy(): Promise<string> {
  styleHash ??= crypto.subtle
    .digest("SHA-256", new TextEncoder().encode(STYLE))
    .then((digest) => btoa(String.fromCharCode(...new Uint8Array(digest))));
  return styleHash.then((hash) => `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
}
