// The entra project's harness: the local Graph fake (scripts/fake-graph.ts) installed as the Entra source's
// network, on the ledger's clock (so stepping it ages subscriptions and delta rounds alike), reaching the real
// Worker for Graph's validation requests and notifications; and a ledger whose Entra state starts empty for
// every test (the state lives in one global ledger: a test that created a subscription must not hand it on).
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeEach } from "vitest";
import { createFakeGraph, type FakeGraph } from "../../scripts/fake-graph";
import { installConnectionDeps } from "../../src/connections/deps";
import { maintainConnections } from "../../src/connections/runner";
import type { EntraSource } from "../../src/domain/entra";
import type { SourceView } from "../../src/domain/views";
import { installEntraDeps } from "../../src/entra/deps";
import { forgetSecrets } from "../../src/entra/known-secrets";
import { runEntra } from "../../src/entra/run";
import { TEST_ENTRA, TEST_PUBLIC_URL } from "./bindings";
import { ledgerClock } from "./clock";
import { checkAgainstDocument } from "./openapi-check";
import { ledgerStub, operatorFetch } from "./worker";

/** Graph's requests to the Worker go to the Worker itself, and every answer is checked against its document. */
async function deliver(url: string, init: RequestInit): Promise<Response> {
  if (!url.startsWith(TEST_PUBLIC_URL)) throw new Error(`the fake delivers only to the Worker, not ${url}`);
  const request = new Request(url, init);
  const response = await exports.default.fetch(request.clone());
  await checkAgainstDocument(request, response);
  return response;
}

/** A fresh Graph fake and an empty Entra state before each test; returns a getter for the current fake. */
export function useGraph(options: { pageSize?: number; certificate?: { spki: string; thumbprint: string } } = {}): () => FakeGraph {
  let graph: FakeGraph;
  beforeEach(async () => {
    graph = createFakeGraph({
      ...TEST_ENTRA,
      deliver,
      now: () => ledgerClock.now(),
      pageSize: options.pageSize ?? 2,
      certificate: options.certificate,
    });
    installEntraDeps({ fetch: (url, init) => graph.fetch(url, init), now: () => ledgerClock.now() });
    // The subscription is kept as a managed connection: its Graph requests go through the runner's fetch.
    installConnectionDeps({
      fetch: (input, init) => graph.fetch(String(input instanceof Request ? input.url : input), init),
      now: () => ledgerClock.now(),
    });
    forgetSecrets();
    await runInDurableObject(ledgerStub(), async (_instance, state) => {
      for (const table of ["entra_state", "entra_changes", "entra_users", "managed_connections", "source_deliveries"]) {
        state.storage.sql.exec(`DELETE FROM ${table}`);
      }
    });
  });
  afterAll(() => {
    installEntraDeps(null);
    installConnectionDeps(null);
  });
  return () => graph;
}

/** One Cron run's Entra work, waited for: the managed connection (the subscription), then src/entra/run.ts. */
export async function cronRun(): Promise<void> {
  await maintainConnections(env);
  await runEntra(env);
}

/** /v1/stats `sources.entra`: the source's liveness and managed connection, and Entra's own figures. */
export async function entraStats(): Promise<SourceView & EntraSource> {
  const stats = (await (await operatorFetch("/v1/stats")).json()) as { sources: { entra: SourceView & EntraSource } };
  return stats.sources.entra;
}

/** The ledger's notes, as an operator's GET /healthz shows them. */
export async function healthNotes(): Promise<string[]> {
  return ((await (await operatorFetch("/healthz")).json()) as { notes?: string[] }).notes ?? [];
}
