// The pieces of /reference that read JSON Schema and prose: a schema as the rows of a table (every
// property, nested ones by their path, with its type, whether it is required and its limits), a type as
// one line, and the document's Markdown code spans. Contract: pure; every text is escaped here.

export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  description?: string;
  pattern?: string;
  $ref?: string;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
};

export const escapeHtml = (text: unknown) =>
  String(text ?? "").replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);

/** Prose from the document: escaped, with its `code spans` as <code>. */
export const prose = (text: unknown) => escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");

/** Nested properties are listed to this depth; deeper ones are named by their type alone. */
const MAX_DEPTH = 5;

const alternativesOf = (schema: JsonSchema) => schema.anyOf ?? schema.oneOf;

export function typeOf(schema: JsonSchema | undefined): string {
  if (!schema) return "any";
  if (schema.$ref) return schema.$ref.split("/").at(-1) ?? "";
  const alternatives = alternativesOf(schema);
  if (alternatives) return alternatives.map(typeOf).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) return schema.properties ? "object" : "any";
  return types
    .map((type) => {
      if (type === "array") return `${typeOf(schema.items)}[]`;
      if (type === "object" && !schema.properties && typeof schema.additionalProperties === "object")
        return `object of ${typeOf(schema.additionalProperties)}`;
      return schema.format && type === "string" ? `string (${schema.format})` : type;
    })
    .join(" | ");
}

function range(low: number | undefined, high: number | undefined, unit: string): string | null {
  if (low === undefined && high === undefined) return null;
  if (low !== undefined && high !== undefined) return `${low} to ${high}${unit}`;
  return low !== undefined ? `at least ${low}${unit}` : `at most ${high}${unit}`;
}

/** A property's limits in words: "1 to 200 characters", "default: 50". */
export function limitsOf(schema: JsonSchema): string {
  return [
    schema.description,
    range(schema.minLength, schema.maxLength, " characters"),
    range(schema.minimum, schema.maximum, ""),
    range(schema.minItems, schema.maxItems, " items"),
    // An email's pattern says what its format already does, less readably.
    schema.pattern && !schema.format ? `pattern ${schema.pattern}` : null,
    schema.default !== undefined ? `default: ${JSON.stringify(schema.default)}` : null,
  ]
    .filter(Boolean)
    .join("; ");
}

type Row = { name: string; type: string; required: boolean; limits: string };

function rowsOf(schema: JsonSchema, prefix: string, depth: number): Row[] {
  if (!schema.properties) return [];
  return Object.entries(schema.properties).flatMap(([name, property]) => {
    const path = `${prefix}${name}`;
    const row = { name: path, type: typeOf(property), required: (schema.required ?? []).includes(name), limits: limitsOf(property) };
    if (depth >= MAX_DEPTH) return [row];
    const nested = property.items?.properties ? rowsOf(property.items, `${path}[].`, depth + 1) : rowsOf(property, `${path}.`, depth + 1);
    return [row, ...nested];
  });
}

/**
 * A table of the page: `headings` as text, each row's cells as HTML already escaped. Each cell carries its
 * column's heading (data-label), which a narrow screen shows beside it when the rows are stacked as cards.
 */
export function tableHtml(headings: string[], rows: string[][]): string {
  return [
    `<table><tr>${headings.map((heading) => `<th>${escapeHtml(heading)}</th>`).join("")}</tr>`,
    ...rows.map((cells) => `<tr>${cells.map((cell, index) => `<td data-label="${escapeHtml(headings[index])}">${cell}</td>`).join("")}</tr>`),
    "</table>",
  ].join("\n");
}

function table(rows: Row[]): string {
  return tableHtml(
    ["field", "type", "required", "limits"],
    rows.map((row) => [`<code>${escapeHtml(row.name)}</code>`, escapeHtml(row.type), row.required ? "yes" : "", escapeHtml(row.limits)]),
  );
}

/** A body's schema for people: its properties as a table, each alternative of a union in turn. */
export function schemaHtml(schema: JsonSchema): string {
  const alternatives = alternativesOf(schema);
  if (alternatives?.every((alternative) => alternative.properties)) {
    return alternatives.map((alternative, index) => `<p>${index === 0 ? "Either" : "or"}:</p>\n${schemaHtml(alternative)}`).join("\n");
  }
  const rows = rowsOf(schema, "", 0);
  if (rows.length === 0) return `<p>${escapeHtml(typeOf(schema))}${schema.type === "string" ? " (the body as text)" : ""}</p>`;
  return table(rows);
}
