// /webhooks/entra under hostile input, property-based (fast-check), with a subscription in force: random
// methods, queries (validation tokens of every shape), headers and bodies, including notification collections
// with random or near-miss clientStates, subscription ids and tenants. Invariants: never a 5xx; a validation
// token is answered only as itself, as text/plain; every error in the documented JSON shape; nothing committed,
// nothing read from Graph, nobody revoked. FUZZ_RUNS cases per property (60 in CI).
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TEST_ENTRA } from "../helpers/bindings";
import { cronRun, entraStats, useGraph } from "../helpers/entra";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { revocationTotal, settleLedger, workerFetch } from "../helpers/worker";

const RUNS = Number((env as unknown as { FUZZ_RUNS?: string }).FUZZ_RUNS ?? "60");
const fake = useFakeCloudflare(settleLedger);
const graph = useGraph();

describe("/webhooks/entra under hostile input", () => {
  it("never answers 5xx, echoes a validation token only as text, and commits, reads and revokes nothing", async () => {
    await cronRun();
    const subscription = [...graph().subscriptions.values()][0]!;
    const before = await revocationTotal();
    const requestsBefore = graph().requests.length;
    const fields = {
      subscriptionId: fc.oneof(fc.constant(subscription.id), fc.constant(subscription.id.toUpperCase()), fc.uuid(), fc.string()),
      // Never the subscription's own clientState: near misses (one character off, a prefix, a longer one) and junk.
      clientState: fc.oneof(
        fc.constant(`${subscription.clientState.slice(0, -1)}${subscription.clientState.endsWith("A") ? "B" : "A"}`),
        fc.constant(subscription.clientState.slice(0, -1)),
        fc.constant(`${subscription.clientState}=`),
        fc.string(),
        fc.constant(null),
        fc.constant(""),
      ),
      tenantId: fc.oneof(fc.constant(TEST_ENTRA.tenantId), fc.uuid()),
      changeType: fc.constantFrom("updated", "deleted", "created", "x"),
      resource: fc.oneof(
        fc.uuid().map((id) => `Users/${id}`),
        fc.string(),
      ),
      lifecycleEvent: fc.constantFrom("missed", "subscriptionRemoved", "reauthorizationRequired", "other"),
    };
    // Items with any field missing, and complete ones that differ from Graph's only where it matters.
    const item = fc.oneof(
      fc.record(fields, { requiredKeys: [] }),
      fc.record(fields, { requiredKeys: ["subscriptionId", "clientState", "tenantId", "resource"] }),
    );
    const body = fc.oneof(fc.constant(""), fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }), {
      weight: 3,
      arbitrary: fc.array(item, { minLength: 1, maxLength: 5 }).map((value) => JSON.stringify({ value })),
    });
    const query = fc.oneof(
      { weight: 3, arbitrary: fc.constant("") },
      fc.string({ maxLength: 1200 }).map((token) => `?validationToken=${encodeURIComponent(token)}`),
      fc.string({ maxLength: 20 }).map((name) => `?${encodeURIComponent(name)}=1`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("POST", "POST", "POST", "GET", "PUT"),
        query,
        body,
        fc.constantFrom("application/json", "text/plain", ""),
        async (method, search, text, type) => {
          const response = await workerFetch(`/webhooks/entra${search}`, {
            method,
            headers: type === "" ? {} : { "content-type": type },
            body: method === "GET" ? undefined : text,
          });
          const answer = await response.text();
          expect(response.status, `${method} ${search.slice(0, 40)}`).toBeLessThan(500);
          const token = new URLSearchParams(search).get("validationToken");
          if (response.status === 200) {
            expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
            expect(answer).toBe(token);
          } else if (response.status >= 400) {
            expect(JSON.parse(answer)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
          }
        },
      ),
      { numRuns: RUNS },
    );
    expect(graph().requests.length).toBe(requestsBefore);
    expect((await entraStats()).lookups.pending).toBe(0);
    expect(await revocationTotal()).toBe(before);
    expect(fake().calls).toHaveLength(0);
  });
});
