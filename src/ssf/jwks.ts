// The signing keys of one Shared Signals transmitter: fetched, kept, refreshed lazily and rarely.
// - Where: the configured jwks_uri, else the `jwks_uri` of the transmitter's configuration metadata, found by
//   inserting "/.well-known/ssf-configuration" between the issuer's host and path (trailing "/" removed),
//   whose `issuer` must equal the configured issuer exactly (SSF 1.0 §7.2 and §7.2.4).
// - Key selection is jose's createLocalJWKSet (alg, kid, use, key_ops), never hand-written; symmetric ("oct")
//   and private members are dropped on arrival, so an HMAC key can never be selected.
// - Refresh: when the keys are older than maxAgeMs, and when a SET names a key we do not hold (rotation).
//   Every network refresh passes one gate: at most one attempt per minRefreshIntervalMs, whatever its outcome,
//   and concurrent callers share the attempt in flight. So a flood of SETs with made-up kids costs at most one
//   JWKS fetch per interval.
// - A kid is unknown_key, a refusal for good, only when it is missing from keys fetched at or after the SET
//   arrived (`arrivedAt`): then the transmitter had not published it when it signed. A kid missing from keys
//   fetched earlier, when the gate allows no fetch yet, is key_pending: it may be the key the transmitter
//   published a moment ago (a rotation), so the caller holds the SET and checks it once a fetch is allowed
//   (held-sets.ts), rather than refuse it for up to an interval. Why not fetch at once for a new kid: any
//   per-kid allowance is spent by a flood of made-up kids, after which a real new one would be refused
//   again; holding costs the transmitter nothing and the ledger a bounded amount (ledger/ssf/held-sets.ts).
// - A JWKS endpoint that is down, slow (timeoutMs, see fetch-json.ts) or answers garbage is a tagged failure;
//   the keys held before stay usable. Until an attempt succeeds again, a kid we do not hold is
//   keys_unavailable, not unknown_key: it may be the transmitter's new key, published during the outage.
// - Workers: the cache outlives requests, so the attempt in flight belongs to the request that started it.
//   If that request is cancelled (its sender hung up), workerd drops its fetch and timers and the attempt
//   never settles. So a request that joins an attempt waits at most the attempt's own bound, on its own
//   timer, and an attempt older than that bound is abandoned: the next refresh past the interval starts anew.
// Contract: never throws; fetch and clock are injected; state lives in the returned object (one per transmitter
// per isolate).
import { type CryptoKey, createLocalJWKSet, errors, type JSONWebKeySet, type LocalJWKSet } from "jose";
import * as z from "zod/mini";
import { DEFAULT_JWKS_MIN_REFRESH_SECONDS, isTransmitterUrl, type SsfTransmitter } from "../domain/ssf/transmitters";
import { describeError, fetchJson, type JsonFailure, type SsfFetch } from "./fetch-json";

export type JwksCacheOptions = {
  transmitter: Pick<SsfTransmitter, "issuer" | "jwksUri">;
  fetch: SsfFetch;
  now: () => number;
  minRefreshIntervalMs?: number;
  maxAgeMs?: number;
  timeoutMs?: number;
};

const DEFAULT_MIN_REFRESH_INTERVAL_MS = DEFAULT_JWKS_MIN_REFRESH_SECONDS * 1000;
const DEFAULT_KEYS_MAX_AGE_MS = 3_600_000;
const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
const MAX_DOCUMENT_CHARS = 256 * 1024;

/** Why the keys could not be (re)loaded; `rate_limited` means no attempt was made. */
type RefreshFailure = { ok: false; reason: "rate_limited" | JsonFailure["reason"]; detail: string };
type RefreshOutcome = { ok: true } | RefreshFailure;

/**
 * The keys that may have signed a token with this header (several only when the header has no kid and
 * several keys fit), or why there are none: `unknown_key` (keys fetched since the SET arrived do not have
 * the kid), `key_pending` (keys fetched before it arrived do not, and no fetch is allowed yet),
 * `keys_unavailable` (the set could not be fetched), `unusable_key` (the JWK would not import).
 */
type KeyResolution =
  | { ok: true; keys: CryptoKey[] }
  | { ok: false; reason: "unknown_key" | "key_pending" | "keys_unavailable" | "unusable_key"; detail: string };

export type JwksCache = {
  /** `arrivedAt`: when the SET arrived (ms, this cache's clock); now unless it was held. */
  resolveKey(header: { alg: string; kid?: string }, arrivedAt?: number): Promise<KeyResolution>;
};

const JwksSchema = z.looseObject({ keys: z.array(z.looseObject({ kty: z.string() })) });
const MetadataSchema = z.looseObject({ issuer: z.string(), jwks_uri: z.string() });

/** SSF 1.0 §7.2: https://tr.example.com/issuer1 → https://tr.example.com/.well-known/ssf-configuration/issuer1 */
export function ssfConfigurationUrl(issuer: string): string {
  const url = new URL(issuer);
  return `${url.origin}/.well-known/ssf-configuration${url.pathname.replace(/\/+$/, "")}`;
}

export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const { transmitter, now } = options;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_KEYS_MAX_AGE_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const getJson = (url: string) => fetchJson(options.fetch, url, { timeoutMs, maxChars: MAX_DOCUMENT_CHARS });
  // Discovery and the key set: two bounded exchanges, plus slack for importing the keys.
  const attemptBoundMs = 2 * timeoutMs + 1000;

  /** `fetchedAt`: when the attempt that fetched them started, so what they say was true from then on. */
  let held: { select: LocalJWKSet; fetchedAt: number } | null = null;
  let discovered: { jwksUri: string; at: number } | null = null;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  /** Why the last attempt failed, null when it succeeded (or none was made): the keys may be out of reach. */
  let lastFailure: string | null = null;
  let inFlight: Promise<RefreshOutcome> | null = null;

  async function jwksUri(): Promise<{ ok: true; uri: string } | RefreshFailure> {
    if (transmitter.jwksUri !== null) return { ok: true, uri: transmitter.jwksUri };
    if (discovered !== null && now() - discovered.at < maxAgeMs) return { ok: true, uri: discovered.jwksUri };
    const fetched = await getJson(ssfConfigurationUrl(transmitter.issuer));
    if (!fetched.ok) return { ok: false, reason: fetched.reason, detail: `configuration metadata: ${fetched.detail}` };
    const metadata = MetadataSchema.safeParse(fetched.json);
    if (!metadata.success) return { ok: false, reason: "malformed", detail: "configuration metadata has no issuer and jwks_uri strings" };
    if (metadata.data.issuer !== transmitter.issuer) return { ok: false, reason: "malformed", detail: "configuration metadata names another issuer" };
    if (!isTransmitterUrl(metadata.data.jwks_uri)) return { ok: false, reason: "malformed", detail: "configuration metadata jwks_uri is not https" };
    discovered = { jwksUri: metadata.data.jwks_uri, at: now() };
    return { ok: true, uri: discovered.jwksUri };
  }

  async function load(startedAt: number): Promise<RefreshOutcome> {
    const uri = await jwksUri();
    if (!uri.ok) return uri;
    const fetched = await getJson(uri.uri);
    if (!fetched.ok) {
      discovered = null; // the metadata may have moved the keys: look again next time
      return { ok: false, reason: fetched.reason, detail: `JWKS: ${fetched.detail}` };
    }
    const jwks = JwksSchema.safeParse(fetched.json);
    if (!jwks.success) return { ok: false, reason: "malformed", detail: "JWKS: not a key set (needs keys[] with kty)" };
    const publicKeys = jwks.data.keys.filter((jwk) => jwk.kty !== "oct" && !("d" in jwk) && !("k" in jwk));
    if (publicKeys.length === 0) return { ok: false, reason: "malformed", detail: "JWKS: no public keys" };
    try {
      // jose validates the set again; the zod check above only gives the failure its name.
      held = { select: createLocalJWKSet({ keys: publicKeys } as JSONWebKeySet), fetchedAt: startedAt };
    } catch (error) {
      return { ok: false, reason: "malformed", detail: `JWKS: ${describeError(error)}` };
    }
    return { ok: true };
  }

  function refresh(): Promise<RefreshOutcome> {
    const sinceLast = now() - lastAttemptAt;
    if (inFlight !== null && sinceLast < attemptBoundMs) return join(inFlight);
    if (sinceLast < minRefreshIntervalMs) {
      return Promise.resolve({ ok: false, reason: "rate_limited", detail: `last attempt ${Math.round(sinceLast)} ms ago` });
    }
    lastAttemptAt = now();
    const attempt = load(lastAttemptAt)
      .then((outcome) => {
        lastFailure = outcome.ok ? null : outcome.detail;
        return outcome;
      })
      .finally(() => {
        if (inFlight === attempt) inFlight = null;
      });
    inFlight = attempt;
    return attempt;
  }

  /** Waits for another request's attempt, on this request's own timer (see the header). */
  function join(attempt: Promise<RefreshOutcome>): Promise<RefreshOutcome> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<RefreshOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, reason: "timeout", detail: `joined a refresh that gave no answer within ${attemptBoundMs} ms` }),
        attemptBoundMs,
      );
    });
    return Promise.race([attempt, gaveUp]).finally(() => clearTimeout(timer));
  }

  async function select(header: { alg: string; kid?: string }): Promise<KeyResolution> {
    if (held === null) return { ok: false, reason: "keys_unavailable", detail: "no keys held" };
    try {
      return { ok: true, keys: [await held.select(header)] };
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) {
        return {
          ok: false,
          reason: "unknown_key",
          detail: `no key for kid ${JSON.stringify(header.kid?.slice(0, 100) ?? null)} and alg ${header.alg.slice(0, 20)}`,
        };
      }
      if (error instanceof errors.JWKSMultipleMatchingKeys) {
        const keys: CryptoKey[] = [];
        for await (const key of error) keys.push(key);
        if (keys.length > 0) return { ok: true, keys };
      }
      return { ok: false, reason: "unusable_key", detail: describeError(error) };
    }
  }

  return {
    async resolveKey(header, arrivedAt = now()) {
      if (held === null || now() - held.fetchedAt >= maxAgeMs) {
        const outcome = await refresh();
        // Stale keys stay in use when the refresh fails: a JWKS outage must not stop verification.
        if (held === null) return { ok: false, reason: "keys_unavailable", detail: outcome.ok ? "no keys held" : outcome.detail };
      }
      const first = await select(header);
      if (first.ok || first.reason !== "unknown_key") return first;
      const outcome = await refresh();
      const again = outcome.ok ? await select(header) : first;
      if (again.ok || again.reason !== "unknown_key" || held === null) return again;
      if (!outcome.ok && outcome.reason !== "rate_limited") {
        return { ok: false, reason: "keys_unavailable", detail: `${again.detail}; refresh failed: ${outcome.detail}` };
      }
      // Not refreshed because an attempt was made moments ago: if that attempt failed, the key set we hold
      // may simply be stale (a rotation during an outage), so the kid is not known to be unknown.
      if (lastFailure !== null) return { ok: false, reason: "keys_unavailable", detail: `${again.detail}; the last refresh failed: ${lastFailure}` };
      if (held.fetchedAt >= arrivedAt) return again;
      const wait = Math.max(0, Math.ceil((lastAttemptAt + minRefreshIntervalMs - now()) / 1000));
      return {
        ok: false,
        reason: "key_pending",
        detail: `${again.detail} in the keys fetched ${Math.round((arrivedAt - held.fetchedAt) / 1000)} s before the SET arrived; the next fetch is allowed in ${wait} s`,
      };
    },
  };
}
