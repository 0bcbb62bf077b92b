// What the Entra source takes from the world: the clock, the network and randomness (a subscription's
// clientState), and one Graph token source per app registration kept for the isolate's life, so a token is
// reused across requests and Cron runs until it is about to expire. A token source is keyed by everything it
// was built from: a changed credential gets a fresh one, and an old secret is not kept. Tests install a clock
// they can step and a fetch that is the local Graph fake (installEntraDeps), which also forgets the tokens.
import { createGraphClient, type GraphClient } from "./graph-client";
import type { MicrosoftFetch } from "./graph-exchange";
import { createGraphTokenSource, type EntraCredentials, type GraphTokenSource } from "./graph-token";

export type EntraDeps = {
  now(): number;
  fetch: MicrosoftFetch;
  /** Random bytes (a clientState). */
  randomBytes(length: number): Uint8Array;
};

const systemDeps: EntraDeps = {
  now: () => Date.now(),
  // Looked up at call time, so a test's spy on the global fetch is honoured too.
  fetch: (url, init) => fetch(url, init),
  randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
};

let installed = systemDeps;
let tokens: { key: string; source: GraphTokenSource } | null = null;

export function entraDeps(): EntraDeps {
  return installed;
}

/** Replaces some dependencies (tests) and forgets the token; `null` restores the real ones. */
export function installEntraDeps(deps: Partial<EntraDeps> | null): void {
  installed = deps === null ? systemDeps : { ...systemDeps, ...deps };
  tokens = null;
}

function graphTokensFor(credentials: EntraCredentials): GraphTokenSource {
  const key = JSON.stringify([
    credentials.tenantId,
    credentials.clientId,
    credentials.credential,
    credentials.loginBaseUrl,
    credentials.graphBaseUrl,
  ]);
  if (tokens?.key !== key) {
    tokens = { key, source: createGraphTokenSource(credentials, { fetch: (url, init) => installed.fetch(url, init), now: () => installed.now() }) };
  }
  return tokens.source;
}

/**
 * The Graph client for the configured app registration, with the installed clock and network, or with those
 * given (a managed connection's bounded fetch); the app's token comes from the isolate's token source either way.
 */
export function graphFor(credentials: EntraCredentials, io?: { fetch: MicrosoftFetch; now(): number }): GraphClient {
  return createGraphClient(credentials.graphBaseUrl, graphTokensFor(credentials), {
    fetch: io?.fetch ?? ((url, init) => installed.fetch(url, init)),
    now: io?.now ?? (() => installed.now()),
  });
}
