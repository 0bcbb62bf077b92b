// Okta's signing keys for Universal Logout, and what the route takes from the world (the clock, the network).
// One JWKS cache per configured org and key set, kept for the isolate's life, so the Shared Signals receiver's
// refresh gate (ssf/jwks.ts) holds across requests: a flood of tokens with made-up kids costs at most one JWKS
// fetch a minute. Tests install a clock and a fetch (installUniversalLogoutDeps), which also forgets the caches.
import { createJwksCache, type JwksCache } from "../ssf/jwks";

type UniversalLogoutDeps = { now(): number; fetch: (url: string, init: RequestInit) => Promise<Response> };

const systemDeps: UniversalLogoutDeps = {
  now: () => Date.now(),
  // Looked up at call time, so a test's spy on the global fetch is honoured too.
  fetch: (url, init) => fetch(url, init),
};

let installed = systemDeps;
const caches = new Map<string, JwksCache>();

export function universalLogoutDeps(): UniversalLogoutDeps {
  return installed;
}

/** Replaces some dependencies (tests) and forgets every cache; `null` restores the real ones. */
export function installUniversalLogoutDeps(deps: Partial<UniversalLogoutDeps> | null): void {
  installed = deps === null ? systemDeps : { ...systemDeps, ...deps };
  caches.clear();
}

export function oktaKeysFor(settings: { issuer: string; jwksUri: string }): JwksCache {
  const key = JSON.stringify([settings.issuer, settings.jwksUri]);
  let cache = caches.get(key);
  if (cache === undefined) {
    cache = createJwksCache({
      transmitter: { issuer: settings.issuer, jwksUri: settings.jwksUri },
      fetch: (url, init) => installed.fetch(url, init),
      now: () => installed.now(),
    });
    caches.set(key, cache);
  }
  return cache;
}
