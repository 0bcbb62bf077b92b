// Every import points down: surfaces → http → ledger → platform (cloudflare, audit) → domain, with crypto
// under everything. The rules below say which folder may import which; a new import that runs back up (the
// ledger reaching into a route, the domain into the ledger) fails here, with the file and the import named.
// Shared pieces live in shared rooms: nothing outside sources/ borrows from it but its registry.
import { describe, expect, it } from "vitest";

// Vite's import.meta.glob (Vitest transforms it): every source file's text, read at build time.
type Glob = (pattern: string, options: { query: string; import: string; eager: true }) => Record<string, string>;
const sources = (import.meta as ImportMeta & { glob: Glob }).glob("../src/**/*.ts", { query: "?raw", import: "default", eager: true });

/** The layer a file belongs to: its first folder under src/, or its name for files at the top. */
function layerOf(path: string): string {
  const rest = path.replace(/^\.\.\/src\//, "");
  const slash = rest.indexOf("/");
  return slash === -1 ? rest.replace(/\.ts$/, "") : rest.slice(0, slash);
}

/** Bytes, digests, HMAC, constant-time compares: the platform's toolkit, which anyone may use and which uses nothing. */
const ANYONE = ["crypto"];
const PLATFORM = [...ANYONE, "domain", "config", "log"];
/** What each layer may import besides itself: layers, or single files ("ssf/transmitters"). */
const ALLOWED: Record<string, string[]> = {
  crypto: [],
  domain: [...ANYONE],
  log: [...ANYONE],
  // SSF_TRANSMITTERS is parsed by its schema in domain/ssf, which imports only the domain like the rest of it.
  config: [...ANYONE, "domain"],
  cloudflare: [...PLATFORM],
  audit: [...PLATFORM],
  // One outbound exchange under a deadline (outbound/deadline.ts), shared by the clients that call out.
  outbound: [...ANYONE],
  alerts: [...PLATFORM, "outbound"],
  sources: [...PLATFORM],
  // Outbound clients: Cloudflare's API, the KV audit trail, the alert webhook.
  ledger: [...PLATFORM, "cloudflare", "audit", "alerts"],
  context: [...ANYONE, "config"],
  http: [...PLATFORM, "context", "ledger"],
  webhooks: [...PLATFORM, "context", "http", "ledger", "sources", "audit"],
  // connections/runner: the operator's `connections sync` runs the Cron's managed-connection step.
  operator: [...PLATFORM, "context", "http", "ledger", "sources", "audit", "connections/runner"],
  scim: [...PLATFORM, "context", "http", "ledger"],
  ssf: [...PLATFORM, "context", "http", "ledger", "sources", "outbound"],
  entra: [...PLATFORM, "context", "http", "ledger", "sources", "outbound"],
  // Okta Universal Logout checks its tokens and reads its subjects as the Shared Signals receiver does.
  "universal-logout": [...PLATFORM, "context", "http", "ledger", "ssf/jwks", "ssf/subjects"],
  // Managed connections: the Cron's runner and the kinds it maintains, which record what they did in the ledger.
  // The SSF stream kind calls the transmitter with the SSF receiver's own protocol kit (ssf/fetch-json,
  // ssf/jwks' metadata address, ssf/poll-token's OAuth grants); nothing in ssf/ imports connections/. The
  // Graph subscription kind drives entra/subscription.ts.
  connections: [...PLATFORM, "ledger", "entra", "ssf"],
  // The page's browser script (ui/client/) reads the API's answers with the domain's types.
  ui: [...ANYONE, "http", "domain"],
  app: ["*"],
  index: [...ANYONE, "app", "ledger", "log", "ssf", "entra", "connections"],
};

function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const segment of specifier.split("/")) {
    if (segment === "..") parts.pop();
    else if (segment !== ".") parts.push(segment);
  }
  const joined = parts.join("/");
  return joined.endsWith(".ts") ? joined : `${joined}.ts`;
}

/** "ssf/transmitters" for ../src/ssf/transmitters.ts. */
function fileOf(path: string): string {
  return path.replace(/^\.\.\/src\//, "").replace(/\.ts$/, "");
}

/** The one file of sources/ other rooms may import: find a source, drive it through its contract. */
const SOURCES_DOOR = "sources/registry";

/** An import of sources/ from outside it, other than its registry: the HMAC toolkit and identity events live elsewhere. */
function borrowsFromSources(path: string, specifier: string): boolean {
  const target = resolve(path, specifier);
  return layerOf(path) !== "sources" && layerOf(target) === "sources" && fileOf(target) !== SOURCES_DOOR;
}

function importsOf(text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm),
    ...text.matchAll(/^\s*import\s+"([^"]+)"/gm), // for its side effects only
    ...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
  ];
  return specifiers.map((match) => match[1]!).filter((specifier) => specifier.startsWith("."));
}

describe("layering", () => {
  it("reads the whole source tree", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(40);
    for (const path of Object.keys(sources)) expect(ALLOWED, `no rule for ${path}`).toHaveProperty(layerOf(path));
  });

  it("has no import that runs back up", () => {
    const violations: string[] = [];
    for (const [path, text] of Object.entries(sources)) {
      const from = layerOf(path);
      for (const specifier of importsOf(text)) {
        const target = resolve(path, specifier);
        const to = layerOf(target);
        const allowed = ALLOWED[from]!;
        if (to === from || allowed.includes("*") || allowed.includes(to) || allowed.includes(fileOf(target))) continue;
        violations.push(`${path.replace("../", "")} imports ${specifier} (${from} → ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("would catch one: the rule refuses the ledger importing a route", () => {
    expect(ALLOWED.ledger).not.toContain("scim");
    expect(importsOf('import { x } from "../scim/routes";\nexport { y } from "./z";\nimport "./w";')).toEqual(["../scim/routes", "./z", "./w"]);
    expect(layerOf(resolve("../src/ledger/ledger.ts", "../scim/routes"))).toBe("scim");
  });
});

// The ledger inside: a room is a feature folder of src/ledger/ (calls/, revocations/, …) or one of its root
// files (ledger.ts, core.ts, …). Each table has one room that writes it (see src/ledger/migrations.ts).

const LEDGER = "../src/ledger/";
const ledgerSources = (all: Record<string, string>) => Object.entries(all).filter(([path]) => path.startsWith(LEDGER));

/** "calls" for ../src/ledger/calls/queue.ts, "core" for ../src/ledger/core.ts. */
function roomOf(path: string): string {
  const rest = path.slice(LEDGER.length);
  const slash = rest.indexOf("/");
  return slash === -1 ? rest.replace(/\.ts$/, "") : rest.slice(0, slash);
}

/** Code without its comment lines (//, /*, and a block's * lines), so prose naming SQL is not read as SQL. */
function codeOf(text: string): string {
  return text.replace(/^\s*(?:\/\/|\/\*|\*).*$/gm, "");
}

/** Statements that change a table (or make, alter, drop or index one), each with the table it names. */
const WRITES = [
  /\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)/gi,
  /\bREPLACE\s+INTO\s+(\w+)/gi,
  /\bUPDATE\s+(?:OR\s+\w+\s+)?(\w+)\s+SET\b/gi,
  /\bDELETE\s+FROM\s+(\w+)/gi,
  /\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi,
  /\bALTER\s+TABLE\s+(\w+)/gi,
  /\bRENAME\s+TO\s+(\w+)/gi,
  /\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\w+)/gi,
  /\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\w+\s+ON\s+(\w+)/gi,
];
const CREATES = /\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi;
const READS = /\b(FROM|JOIN)\s+(\w+)/gi;

/** Each table and the rooms whose code writes it. */
function writersOf(all: Record<string, string>): Map<string, Set<string>> {
  const writers = new Map<string, Set<string>>();
  for (const [path, text] of ledgerSources(all)) {
    for (const pattern of WRITES) {
      for (const [, table] of codeOf(text).matchAll(pattern)) {
        const name = table!.toLowerCase();
        writers.set(name, (writers.get(name) ?? new Set()).add(roomOf(path)));
      }
    }
  }
  return writers;
}

/** Tables written from more than one room, with those rooms. */
function sharedTables(all: Record<string, string>): Record<string, string[]> {
  const shared: Record<string, string[]> = {};
  for (const [table, rooms] of writersOf(all)) if (rooms.size !== 1) shared[table] = [...rooms].sort();
  return shared;
}

/**
 * Reads of another room's table: a room may name it only as a JOIN of its own query (a named query that is
 * genuinely a join, like a due call with its revocation's email); a FROM of it is a read the owner should
 * answer. Migrations (schema.ts) may read any table to move data.
 */
function borrowedReads(all: Record<string, string>): string[] {
  const owner = new Map<string, string>();
  for (const [path, text] of ledgerSources(all)) {
    for (const [, table] of codeOf(text).matchAll(CREATES)) owner.set(table!.toLowerCase(), roomOf(path));
  }
  const violations: string[] = [];
  for (const [path, text] of ledgerSources(all)) {
    if (path.endsWith("/schema.ts")) continue;
    for (const [, keyword, table] of codeOf(text).matchAll(READS)) {
      const room = owner.get(table!.toLowerCase());
      if (room !== undefined && room !== roomOf(path) && keyword!.toUpperCase() === "FROM")
        violations.push(`${path} reads ${table}, a table of ${room}/`);
    }
  }
  return violations;
}

/**
 * Source files outside src/ledger/ that touch SQLite: its storage API, or the text of an SQL statement (its
 * keywords in capitals, as this repository writes SQL, so English prose in a string is not taken for it).
 */
function sqlOutsideLedger(all: Record<string, string>): string[] {
  const signs = [
    /\bSqlStorage\b/,
    /\bstorage\s*\.\s*sql\b/,
    /\btransactionSync\b/,
    ...WRITES.map((pattern) => new RegExp(pattern.source)),
    /\bSELECT\b[^;`"']*?\bFROM\s+\w+/,
  ];
  const violations: string[] = [];
  for (const [path, text] of Object.entries(all)) {
    if (path.startsWith(LEDGER)) continue;
    const sign = signs.find((pattern) => pattern.test(codeOf(text)));
    if (sign) violations.push(`${path} (${sign.source})`);
  }
  return violations;
}

/**
 * The ledger's rooms from the floor up: a room imports only itself and the rooms before it, so no two feature
 * folders import each other. The calls queue is the floor (revocations feed it, the drain reads it); the
 * store's context and the façade's handle (core) come next; then tables no other feature needs (the audit
 * chain first, since every folder that writes an audit entry appends to it), follow-ups'
 * rules, revocations (which SCIM, Shared Signals, Entra, the drain and jobs all commit or settle through), the
 * drain (which reads the streams and Entra's state for /v1/stats), jobs (which read the drain's pause); at the top the
 * migrations that gather every folder's schema, the Durable Object and how the Worker reaches it.
 */
const LEDGER_ORDER = [
  "calls",
  "store",
  "deps",
  "core",
  "keys",
  "audit",
  "rejections",
  "follow-ups",
  "revocations",
  "alerts",
  "connections",
  "deliveries",
  "scim",
  "ssf",
  "sweep",
  "entra",
  "drain",
  "jobs",
  "reports",
  "migrations",
  "ledger",
  "client",
];

/** Imports inside the ledger that run from a room to one above it. */
function ledgerImportsUp(all: Record<string, string>): string[] {
  const violations: string[] = [];
  for (const [path, text] of ledgerSources(all)) {
    const from = LEDGER_ORDER.indexOf(roomOf(path));
    for (const specifier of importsOf(text)) {
      const target = resolve(path, specifier);
      if (!target.startsWith(LEDGER)) continue;
      const to = LEDGER_ORDER.indexOf(roomOf(target));
      if (to > from) violations.push(`${path.replace("../", "")} imports ${specifier} (${roomOf(path)} → ${roomOf(target)})`);
    }
  }
  return violations;
}

describe("the ledger: one room owns each table, no SQL outside it, rooms import down", () => {
  it("reads every room and table", () => {
    for (const [path] of ledgerSources(sources)) expect(LEDGER_ORDER, `no place in LEDGER_ORDER for ${path}`).toContain(roomOf(path));
    expect(writersOf(sources).get("calls")).toEqual(new Set(["calls"]));
    expect(writersOf(sources).size).toBeGreaterThanOrEqual(16);
  });

  it("runs no SQL outside src/ledger/", () => {
    expect(sqlOutsideLedger(sources)).toEqual([]);
  });

  it("writes each table from exactly one room", () => {
    expect(sharedTables(sources)).toEqual({});
  });

  it("reads another room's table only joined to its own", () => {
    expect(borrowedReads(sources)).toEqual([]);
  });

  it("has no import from a room to one above it", () => {
    expect(ledgerImportsUp(sources)).toEqual([]);
  });

  it("would catch SQL outside the ledger: the audit log running a query on storage it was handed", () => {
    const planted = 'export const n = (storage: DurableObjectStorage) => storage.sql.exec("SELECT COUNT(*) AS n FROM audit_batch").one();';
    expect(sqlOutsideLedger({ ...sources, "../src/audit/planted.ts": planted })).toEqual([expect.stringContaining("../src/audit/planted.ts")]);
    // Any statement's text is enough, however the storage reached the file.
    expect(sqlOutsideLedger({ "../src/operator/planted.ts": "run(`DELETE FROM calls WHERE revocation_seq = ?`, seq);" })).toHaveLength(1);
    // Prose and regular expressions are not SQL.
    expect(sqlOutsideLedger({ "../src/x.ts": "// select a row from the list, then update it\nconst m = /a/.exec(s);" })).toEqual([]);
  });

  it("would catch a second writer: jobs/ re-queueing calls itself", () => {
    const planted = "export const requeue = (sql: SqlStorage) => sql.exec(\"UPDATE calls SET state = 'pending' WHERE lane = 'bulk'\");";
    expect(sharedTables({ ...sources, "../src/ledger/jobs/planted.ts": planted })).toEqual({ calls: ["calls", "jobs"] });
    expect(
      sharedTables({ "../src/ledger/a/x.ts": 'sql.exec("INSERT OR IGNORE INTO t (k) VALUES (?)")', "../src/ledger/b/y.ts": "`DELETE FROM t`" }),
    ).toEqual({
      t: ["a", "b"],
    });
    // An upsert's DO UPDATE SET names no table.
    expect(writersOf({ "../src/ledger/a/x.ts": '"INSERT INTO t (k) VALUES (?) ON CONFLICT DO UPDATE SET k = excluded.k"' })).toEqual(
      new Map([["t", new Set(["a"])]]),
    );
  });

  it("would catch a borrowed read: jobs/ counting calls with its own query", () => {
    const planted = "export const n = (sql: SqlStorage) => sql.exec(\"SELECT COUNT(*) AS n FROM calls WHERE state = 'pending'\").one().n;";
    expect(borrowedReads({ ...sources, "../src/ledger/jobs/planted.ts": planted })).toEqual([
      "../src/ledger/jobs/planted.ts reads calls, a table of calls/",
    ]);
  });

  it("would catch an import up: the calls queue reaching into the drain", () => {
    const planted = 'import { Drain } from "../drain/drain";\nexport type D = Drain;';
    expect(ledgerImportsUp({ ...sources, "../src/ledger/calls/planted.ts": planted })).toEqual([
      "src/ledger/calls/planted.ts imports ../drain/drain (calls → drain)",
    ]);
  });
});

// The audit log is chained (issue #23): an entry reaches KV only through the ledger's chain, which gives it its
// seq and hashes. One function writes AUDIT_LOG (audit/audit-log.ts: writeAuditCopy) and one room calls it
// (the chain's writer), so a new kind of entry written straight to KV fails here instead of going unchained.
const AUDIT_WRITER = "../src/audit/audit-log.ts";
const CHAIN_WRITER = "../src/ledger/audit/chain-writer.ts";

/** Files that write a KV namespace or call writeAuditCopy other than the two allowed to. */
function unchainedAuditWrites(all: Record<string, string>): string[] {
  const violations: string[] = [];
  for (const [path, text] of Object.entries(all)) {
    const code = codeOf(text);
    if (path !== AUDIT_WRITER && /\b(?:AUDIT_LOG|kv)\s*\.\s*(?:put|delete)\s*\(/.test(code)) violations.push(`${path} writes KV`);
    if (path !== AUDIT_WRITER && path !== CHAIN_WRITER && /\bwriteAuditCopy\s*\(/.test(code)) violations.push(`${path} calls writeAuditCopy`);
  }
  return violations;
}

describe("the audit chain: every entry is chained before it reaches KV", () => {
  it("has one writer of AUDIT_LOG, called only by the chain", () => {
    expect(unchainedAuditWrites(sources)).toEqual([]);
  });

  it("would catch one: a route writing an entry to KV itself, or calling the writer past the chain", () => {
    const route = 'export const w = (c: C) => c.env.AUDIT_LOG.put("connection:1", "{}");';
    const bypass = 'import { writeAuditCopy } from "../audit/audit-log";\nexport const w = (kv: KVNamespace) => writeAuditCopy(kv, e, p, o);';
    expect(unchainedAuditWrites({ ...sources, "../src/ssf/planted.ts": route, "../src/operator/planted.ts": bypass })).toEqual([
      "../src/ssf/planted.ts writes KV",
      "../src/operator/planted.ts calls writeAuditCopy",
    ]);
  });
});

describe("shared pieces in shared rooms", () => {
  it("nothing outside sources/ borrows from it but its registry (bytes and HMAC are crypto/'s, identity events domain/'s)", () => {
    const borrowed: string[] = [];
    for (const [path, text] of Object.entries(sources)) {
      for (const specifier of importsOf(text))
        if (borrowsFromSources(path, specifier)) borrowed.push(`${path.replace("../", "")} imports ${specifier}`);
    }
    expect(borrowed).toEqual([]);
  });

  it("would catch one: Shared Signals taking validEvents or the HMAC toolkit from sources/ again", () => {
    expect(borrowsFromSources("../src/ssf/events.ts", "../sources/source")).toBe(true);
    expect(borrowsFromSources("../src/operator/routes.ts", "../sources/hmac")).toBe(true);
    expect(borrowsFromSources("../src/ssf/events.ts", "../domain/identity-events")).toBe(false);
    expect(borrowsFromSources("../src/webhooks/receive-delivery.ts", "../sources/registry")).toBe(false);
    expect(borrowsFromSources("../src/sources/okta.ts", "./source")).toBe(false);
  });

  it("crypto/ is beneath everything: anyone may import it, and it imports nothing", () => {
    expect(ALLOWED.crypto).toEqual([]);
    for (const [layer, allowed] of Object.entries(ALLOWED))
      if (layer !== "crypto" && !allowed.includes("*")) expect(allowed, layer).toContain("crypto");
  });
});
