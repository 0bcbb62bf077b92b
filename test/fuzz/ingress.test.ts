// Hostile input, property-based (fast-check), over every ingress: random methods, paths, headers, bodies,
// encodings and sizes, none carrying a valid credential. Invariants: never a 5xx; every error in the
// documented shape (JSON for /webhooks and /v1, RFC 7644 for /scim/v2); the 64 KiB webhook limit answers
// 413 before anything is verified or parsed; and nothing is ever revoked or recorded.
// Runs FUZZ_RUNS cases per property (60 in CI; FUZZ_RUNS=5000 npm test for a long run).
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_OPERATOR_TOKEN } from "../helpers/bindings";
import { installFakeCloudflare } from "../helpers/fake-cloudflare";
import { operatorFetch, workerFetch } from "../helpers/worker";

const RUNS = Number((env as unknown as { FUZZ_RUNS?: string }).FUZZ_RUNS ?? "60");
let cloudflare: ReturnType<typeof installFakeCloudflare>;
let revocationsBefore = 0;

async function revocationCount(): Promise<number> {
  const stats = (await (await operatorFetch("/v1/stats")).json()) as { by_status: Record<string, number> };
  return Object.values(stats.by_status).reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  cloudflare = installFakeCloudflare();
  revocationsBefore = await revocationCount();
});
afterAll(async () => {
  // The invariant that matters most: nothing any of these requests did reached Cloudflare or the ledger.
  expect(cloudflare.calls).toHaveLength(0);
  expect(await revocationCount()).toBe(revocationsBefore);
  cloudflare.restore();
});

const SOURCES = ["standard", "workos", "okta", "clerk", "zitadel", "keycloak", "google", "hmac", "nope", "STANDARD", "..", "%2e%2e", "entra"];
const segment = fc.oneof(
  fc.constantFrom("Users", "users", "Groups", "Schemas", "revocations", "retry", "bulk", "import", "directory", "jobs", "stats", "audit"),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.uuid(),
);
const path = fc.oneof(
  fc.constantFrom(...SOURCES).map((source) => `/webhooks/${source}`),
  fc.constantFrom("/okta/universal-logout", "/okta/universal-logout/", "/okta"),
  fc.array(segment, { maxLength: 3 }).map((parts) => `/scim/v2/${parts.join("/")}`),
  fc.array(segment, { maxLength: 3 }).map((parts) => `/v1/${parts.join("/")}`),
  fc.array(segment, { maxLength: 3 }).map((parts) => `/${parts.join("/")}`),
  fc
    .tuple(fc.constantFrom("/scim/v2/Users", "/v1/revocations"), fc.string({ maxLength: 40 }))
    .map(([base, query]) => `${base}?filter=${encodeURIComponent(query)}&limit=${encodeURIComponent(query)}`),
);
const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }).map((value) => value.replace(/[^\x20-\x7e]/g, "")),
  fc.constantFrom(
    "Bearer ",
    "Bearer x",
    `Bearer ${TEST_OPERATOR_TOKEN.slice(0, -1)}`,
    "v1,AAAA",
    "t=1,v1=ab",
    "sha256=00",
    "whsec_AAAA",
    "sync",
    "99999999999999",
    // An RS256 JWT naming Okta's org as issuer, for nobody's audience, with no valid signature.
    "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6Im9rdGEtcnNhLTEifQ.eyJpc3MiOiJodHRwczovL29rdGEudGVzdCJ9.c2ln",
  ),
  fc.integer().map(String),
);
const headers = fc.dictionary(
  fc.constantFrom(
    "Authorization",
    "Content-Type",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "WorkOS-Signature",
    "ZITADEL-Signature",
    "X-Keycloak-Signature",
    "X-Goog-Channel-Token",
    "X-Goog-Resource-State",
    "X-Okta-Verification-Challenge",
    "X-Hub-Signature-256",
    "X-Hub-Timestamp",
    "Idempotency-Key",
    "Prefer",
  ),
  headerValue,
  { maxKeys: 6 },
);
const body = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 300 }),
  fc.json({ maxDepth: 3 }),
  fc.constantFrom(
    JSON.stringify({ type: "user.deprovisioned", data: { email: "victim@example.com" } }),
    JSON.stringify({ email: "victim@example.com" }),
    JSON.stringify({ sub_id: { format: "email", email: "victim@example.com" } }),
    JSON.stringify({ userName: "victim@example.com", active: false }),
    JSON.stringify({ Operations: [{ op: "replace", value: { active: false } }] }),
    "victim@example.com\nother@example.com",
  ),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => new TextDecoder().decode(bytes)),
);

function expectDocumentedShape(requestPath: string, status: number, text: string) {
  if (status < 400) return;
  const json = JSON.parse(text) as Record<string, unknown>;
  if (requestPath.toLowerCase().startsWith("/scim/")) {
    expect(json.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
    expect(json.status).toBe(String(status));
    expect(typeof json.detail).toBe("string");
  } else {
    expect(json).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  }
}

describe("every ingress under hostile input", () => {
  it("never answers 5xx, always answers errors in the documented shape, and never revokes", async () => {
    await fc.assert(
      fc.asyncProperty(method, path, headers, body, async (requestMethod, requestPath, requestHeaders, requestBody) => {
        const response = await workerFetch(requestPath, {
          method: requestMethod,
          headers: requestHeaders,
          body: requestMethod === "GET" ? undefined : requestBody,
        });
        const text = await response.text();
        expect(response.status, `${requestMethod} ${requestPath}`).toBeLessThan(500);
        expectDocumentedShape(requestPath, response.status, text);
      }),
      { numRuns: RUNS },
    );
  });

  it("answers 413 to any webhook body over 64 KiB before verifying or parsing it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SOURCES.slice(0, 8)),
        headers,
        fc.integer({ min: 64 * 1024 + 1, max: 200_000 }),
        async (source, requestHeaders, size) => {
          const response = await workerFetch(`/webhooks/${source}`, { method: "POST", headers: requestHeaders, body: "x".repeat(size) });
          expect(response.status).toBe(413);
          expectDocumentedShape("/webhooks", 413, await response.text());
        },
      ),
      { numRuns: Math.max(5, Math.round(RUNS / 6)) },
    );
  });
});
