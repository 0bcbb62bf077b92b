// SCIM filters (RFC 7644 §3.4.2.2): parse once into an expression tree, evaluate against stored resources.
// Contract: pure. A malformed filter throws ScimFilterError, which the ledger's list answers as 400 invalidFilter.
// - Operators eq ne co sw ew gt ge lt le pr; and, or, not; parentheses; value paths (emails[type eq "work"]).
// - Attribute names are case-insensitive (RFC 7643 §2.1), dotted (name.familyName) or schema-URN-prefixed.
// - String comparison ignores case unless the attribute is caseExact (RFC 7643: id, externalId and
//   meta.version are; userName, emails.value and most others are not).
// - Values may be JSON strings, numbers, true/false/null, or bare words (Microsoft's validator sends
//   `name.familyName eq Employee` and unquoted dates).

export class ScimFilterError extends Error {}

export type AttributePath = { schema: string | null; names: string[] };

export type FilterNode =
  | { kind: "and" | "or"; left: FilterNode; right: FilterNode }
  | { kind: "not"; operand: FilterNode }
  | { kind: "present"; path: AttributePath }
  | { kind: "compare"; path: AttributePath; op: CompareOp; value: unknown }
  | { kind: "valuePath"; path: AttributePath; filter: FilterNode; sub: string | null; subFilter: FilterNode | null };

type CompareOp = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le";
const CORE_SCHEMAS = new Set(["urn:ietf:params:scim:schemas:core:2.0:user", "urn:ietf:params:scim:schemas:core:2.0:group"]);
/** Bounds that keep hostile but authenticated input a 400, never a stack overflow (a 500). */
const MAX_FILTER_LENGTH = 4096;
const MAX_PATH_LENGTH = 512;
const MAX_NESTING = 32;
const COMPARE_OPS = new Set(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]);
const CASE_EXACT = new Set(["id", "externalid", "meta.version"]);

type Token = { kind: "word" | "string" | "(" | ")" | "[" | "]"; text: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const char = input[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if ("()[]".includes(char)) {
      tokens.push({ kind: char as "(" | ")" | "[" | "]", text: char });
      i++;
    } else if (char === '"') {
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === "\\" ? 2 : 1;
      if (j >= input.length) throw new ScimFilterError("unterminated string");
      try {
        tokens.push({ kind: "string", text: JSON.parse(input.slice(i, j + 1)) as string });
      } catch {
        throw new ScimFilterError("malformed string");
      }
      i = j + 1;
    } else {
      let j = i;
      while (j < input.length && !/[\s()[\]"]/.test(input[j]!)) j++;
      tokens.push({ kind: "word", text: input.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/** "urn:…:User:name.givenName" → schema + ["name", "givenName"]; "emails.value" → ["emails", "value"]. */
export function parseAttributePath(text: string): AttributePath {
  if (text.length > MAX_PATH_LENGTH) throw new ScimFilterError("attribute path too long");
  let schema: string | null = null;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const cut = text.lastIndexOf(":");
    schema = text.slice(0, cut);
    rest = text.slice(cut + 1);
    // The core schemas' attributes live at the top of the resource (RFC 7644 §3.10): a URN-qualified
    // `urn:…:core:2.0:User:active` is `active`.
    if (CORE_SCHEMAS.has(schema.toLowerCase())) schema = null;
  }
  const names = rest.split(".");
  if (names.some((name) => !/^[A-Za-z$][\w$-]*$/.test(name))) throw new ScimFilterError(`invalid attribute path ${text}`);
  return { schema, names };
}

class Parser {
  private position = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  /** Parentheses, `not (…)` and value paths nest; each level is counted. */
  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_NESTING) throw new ScimFilterError(`filter nested deeper than ${MAX_NESTING} levels`);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  parse(): FilterNode {
    if (this.tokens.length === 0) throw new ScimFilterError("empty filter");
    const node = this.parseOr();
    if (this.position < this.tokens.length) throw new ScimFilterError(`unexpected ${this.tokens[this.position]!.text}`);
    return node;
  }

  private peekWord(): string | null {
    const token = this.tokens[this.position];
    return token?.kind === "word" ? token.text.toLowerCase() : null;
  }

  private expect(kind: Token["kind"]): Token {
    const token = this.tokens[this.position++];
    if (!token || token.kind !== kind) throw new ScimFilterError(`expected ${kind}`);
    return token;
  }

  parseOr(): FilterNode {
    let left = this.parseAnd();
    while (this.peekWord() === "or") {
      this.position++;
      left = { kind: "or", left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseNot();
    while (this.peekWord() === "and") {
      this.position++;
      left = { kind: "and", left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): FilterNode {
    if (this.peekWord() === "not") {
      this.position++;
      this.expect("(");
      const operand = this.nested(() => this.parseOr());
      this.expect(")");
      return { kind: "not", operand };
    }
    return this.parseAtom();
  }

  private parseAtom(): FilterNode {
    const token = this.tokens[this.position];
    if (!token) throw new ScimFilterError("unexpected end of filter");
    if (token.kind === "(") {
      this.position++;
      const node = this.nested(() => this.parseOr());
      this.expect(")");
      return node;
    }
    if (token.kind !== "word") throw new ScimFilterError(`unexpected ${token.text}`);
    this.position++;
    const path = parseAttributePath(token.text);
    if (this.tokens[this.position]?.kind === "[") {
      this.position++;
      const filter = this.nested(() => this.parseOr());
      this.expect("]");
      // Tolerated beyond the RFC grammar: `emails[type eq "work"].value eq "x"`.
      const next = this.tokens[this.position];
      if (next?.kind === "word" && next.text.startsWith(".")) {
        this.position++;
        const sub = next.text.slice(1);
        return { kind: "valuePath", path, filter, sub, subFilter: this.parseComparison({ schema: null, names: [sub] }) };
      }
      return { kind: "valuePath", path, filter, sub: null, subFilter: null };
    }
    return this.parseComparison(path);
  }

  private parseComparison(path: AttributePath): FilterNode {
    const op = this.peekWord();
    if (op === "pr") {
      this.position++;
      return { kind: "present", path };
    }
    if (!op || !COMPARE_OPS.has(op)) throw new ScimFilterError(`expected an operator after ${path.names.join(".")}`);
    this.position++;
    const token = this.tokens[this.position++];
    if (!token || (token.kind !== "string" && token.kind !== "word")) throw new ScimFilterError("expected a value");
    return { kind: "compare", path, op: op as CompareOp, value: token.kind === "string" ? token.text : bareValue(token.text) };
  }
}

function bareValue(text: string): unknown {
  const lower = text.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  if (lower === "null") return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

export function parseFilter(input: string): FilterNode {
  if (input.length > MAX_FILTER_LENGTH) throw new ScimFilterError(`filter longer than ${MAX_FILTER_LENGTH} characters`);
  return new Parser(tokenize(input)).parse();
}

/** Reads a key of an object ignoring case (RFC 7643 §2.1). */
export function getIgnoringCase(object: unknown, key: string): unknown {
  if (object === null || typeof object !== "object" || Array.isArray(object)) return undefined;
  const record = object as Record<string, unknown>;
  if (Object.hasOwn(record, key)) return record[key];
  const lower = key.toLowerCase();
  for (const candidate of Object.keys(record)) if (candidate.toLowerCase() === lower) return record[candidate];
  return undefined;
}

/** Every value at a path, multi-valued attributes flattened. */
function valuesAt(resource: unknown, path: AttributePath): unknown[] {
  let current: unknown[] = [path.schema ? getIgnoringCase(resource, path.schema) : resource];
  for (const name of path.names) {
    const next: unknown[] = [];
    for (const value of current) {
      const child = Array.isArray(value) ? value.map((element) => getIgnoringCase(element, name)) : [getIgnoringCase(value, name)];
      for (const item of child) {
        if (Array.isArray(item)) next.push(...item);
        else if (item !== undefined) next.push(item);
      }
    }
    current = next;
  }
  return current.filter((value) => value !== undefined);
}

function comparable(value: unknown, caseExact: boolean): unknown {
  if (typeof value === "string") return caseExact ? value : value.toLowerCase();
  return value;
}

/** ISO timestamps compare as instants; Microsoft sends 7 fractional digits, which Date.parse may refuse. */
function asTime(value: unknown): number | null {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const time = Date.parse(value.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(time) ? null : time;
}

function compareOne(actual: unknown, op: CompareOp, expected: unknown, caseExact: boolean): boolean {
  if (typeof actual === "boolean" && typeof expected === "string") expected = expected.toLowerCase() === "true";
  const a = comparable(actual, caseExact);
  const e = comparable(expected, caseExact);
  switch (op) {
    case "eq":
      return a === e;
    case "ne":
      return a !== e;
    case "co":
      return typeof a === "string" && typeof e === "string" && a.includes(e);
    case "sw":
      return typeof a === "string" && typeof e === "string" && a.startsWith(e);
    case "ew":
      return typeof a === "string" && typeof e === "string" && a.endsWith(e);
    default: {
      const [at, et] = [asTime(actual), asTime(expected)];
      const [x, y] = at !== null && et !== null ? [at, et] : [a, e];
      if (typeof x !== typeof y || (typeof x !== "number" && typeof x !== "string")) return false;
      if (op === "gt") return (x as number | string) > (y as number | string);
      if (op === "ge") return (x as number | string) >= (y as number | string);
      if (op === "lt") return (x as number | string) < (y as number | string);
      return (x as number | string) <= (y as number | string);
    }
  }
}

function isPresent(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

export function matchesFilter(resource: unknown, node: FilterNode): boolean {
  switch (node.kind) {
    case "and":
      return matchesFilter(resource, node.left) && matchesFilter(resource, node.right);
    case "or":
      return matchesFilter(resource, node.left) || matchesFilter(resource, node.right);
    case "not":
      return !matchesFilter(resource, node.operand);
    case "present":
      return valuesAt(resource, node.path).some(isPresent);
    case "compare": {
      const caseExact = CASE_EXACT.has(node.path.names.join(".").toLowerCase());
      const values = valuesAt(resource, node.path);
      if (node.op === "ne") return !values.some((value) => compareOne(value, "eq", node.value, caseExact));
      return values.some((value) => compareOne(value, node.op, node.value, caseExact));
    }
    case "valuePath": {
      const elements = valuesAt(resource, node.path);
      return elements.some((element) => matchesFilter(element, node.filter) && (node.subFilter === null || matchesFilter(element, node.subFilter)));
    }
  }
}
