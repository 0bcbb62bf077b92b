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
  sources: [...PLATFORM],
  ledger: [...PLATFORM, "cloudflare", "audit"],
  context: [...ANYONE, "config"],
  http: [...PLATFORM, "context", "ledger"],
  webhooks: [...PLATFORM, "context", "http", "ledger", "sources", "audit"],
  operator: [...PLATFORM, "context", "http", "ledger", "sources", "audit"],
  scim: [...PLATFORM, "context", "http", "ledger"],
  ssf: [...PLATFORM, "context", "http", "ledger", "sources"],
  // The page's browser script (ui/client/) reads the API's answers with the domain's types.
  ui: [...ANYONE, "http", "domain"],
  app: ["*"],
  index: [...ANYONE, "app", "ledger", "log", "ssf"],
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
