// What the Shared Signals route takes from the world (the clock, the network), and one JWKS cache per
// configured transmitter kept for the isolate's life, so the refresh gate (jwks.ts) holds across requests:
// a flood of unknown kids spread over many requests still costs at most one JWKS fetch per interval.
// Likewise one poll token source per polled transmitter (poll-token.ts), so a token is reused across runs.
// A cache is keyed by what it was built from (name, issuer, jwks_uri, interval): a changed configuration
// gets a fresh one. Tests install a clock they can step (installSsfDeps), which also forgets every cache.

import type { SsfTransmitter } from "../domain/ssf/transmitters";
import type { SsfFetch } from "./fetch-json";
import { createJwksCache, type JwksCache } from "./jwks";
import { type ClientCredentials, createPollTokenSource, type PollTokenSource } from "./poll-token";

type SsfDeps = {
  now(): number;
  fetch: SsfFetch;
  /** How long one exchange with a transmitter may take; jwks.ts's default when unset. */
  timeoutMs?: number;
};

const systemDeps: SsfDeps = {
  now: () => Date.now(),
  // Looked up at call time, so a test's spy on the global fetch is honoured too.
  fetch: (url, init) => fetch(url, init),
};

let installed: SsfDeps = systemDeps;
const caches = new Map<string, JwksCache>();
/** By transmitter name: a changed credential replaces the entry, so an old secret is not kept. */
const tokenSources = new Map<string, { key: string; source: PollTokenSource }>();

export function ssfDeps(): SsfDeps {
  return installed;
}

/** Replaces some dependencies (tests) and forgets every cache; `null` restores the real ones. */
export function installSsfDeps(deps: Partial<SsfDeps> | null): void {
  installed = deps === null ? systemDeps : { ...systemDeps, ...deps };
  caches.clear();
  tokenSources.clear();
}

/** The poll token source of a transmitter, kept while its credentials stay the same. */
export function pollTokenSourceFor(name: string, credentials: ClientCredentials): PollTokenSource {
  const key = JSON.stringify([credentials.tokenEndpoint, credentials.clientId, credentials.clientSecret, credentials.scope]);
  const kept = tokenSources.get(name);
  if (kept?.key === key) return kept.source;
  const source = createPollTokenSource(credentials, { fetch: (url, init) => installed.fetch(url, init), now: () => installed.now() });
  tokenSources.set(name, { key, source });
  return source;
}

export function jwksCacheFor(name: string, transmitter: SsfTransmitter): JwksCache {
  const key = JSON.stringify([name, transmitter.issuer, transmitter.jwksUri, transmitter.jwksMinRefreshMs]);
  let cache = caches.get(key);
  if (cache === undefined) {
    cache = createJwksCache({
      transmitter,
      fetch: (url, init) => installed.fetch(url, init),
      now: () => installed.now(),
      minRefreshIntervalMs: transmitter.jwksMinRefreshMs,
      timeoutMs: installed.timeoutMs,
    });
    caches.set(key, cache);
  }
  return cache;
}
