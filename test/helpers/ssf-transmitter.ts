// A Shared Signals transmitter for tests: key pairs made with jose, SETs signed the way SSF 1.0 §4.1 says
// (typ secevent+jwt, a kid) and the ways an attacker would (alg none, HS256 keyed with the public key, a key
// nobody published), and its configuration metadata and JWKS served through a fetch function the code under
// test is handed. The JWKS endpoint counts its requests and can be made down, unreachable, slow or garbage.
// Its poll endpoint (RFC 8936 §2.2–2.5) hands out the SETs queued with `queueForPoll`, maxEvents at a time,
// and again until they are acknowledged or reported in setErrs; it records every request it gets. It accepts
// the static credential TEST_SSF_POLL_AUTH, or an access token its OAuth token endpoint issued (RFC 6749 §4.4,
// the client authenticated with HTTP Basic as §2.3.1 encodes it, or by private_key_jwt, RFC 7523 §2.2, with
// the key registered in `clientKey`) and has not revoked. Its stream management API (SSF 1.0 §7.1) is
// ssf-stream-management.ts, named in its metadata; `metadataIssuer` makes the metadata name another issuer.
import { base64url, type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { CAEP_SESSION_REVOKED } from "../../src/domain/ssf/event-types";
import type { SsfTransmitter } from "../../src/domain/ssf/transmitters";
import { SSF_ALGORITHMS } from "../../src/domain/ssf/transmitters";
import type { SsfFetch } from "../../src/ssf/fetch-json";
import { ssfConfigurationUrl } from "../../src/ssf/jwks";
import {
  TEST_SSF_AUDIENCE,
  TEST_SSF_CLIENT,
  TEST_SSF_ISSUER,
  TEST_SSF_JWKS_URI,
  TEST_SSF_POLL_AUTH,
  TEST_SSF_POLL_URL,
  TEST_SSF_TOKEN_URL,
} from "./bindings";
import { MANAGEMENT_ENDPOINTS, StreamManagement } from "./ssf-stream-management";

/** up: serves the keys; down: 503; unreachable: the fetch rejects; slow: answers only when aborted (with an
 * AbortError), as fetch does; hang: never settles, even when aborted; garbage: 200 with HTML. */
export type EndpointMode = "up" | "down" | "unreachable" | "slow" | "hang" | "garbage";

type SigningAlg = "RS256" | "ES256" | "PS256" | "EdDSA";
type SigningKey = { kid: string; alg: SigningAlg; privateKey: CryptoKey; publicKey: CryptoKey; publicJwk: JWK };

async function signingKey(alg: SigningAlg, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** One request the poll endpoint received (RFC 8936 §2.4). */
type PollRequestSeen = {
  authorization: string | null;
  ack: string[];
  setErrs: Record<string, { err: string; description: string }>;
  maxEvents: number | undefined;
  returnImmediately: boolean | undefined;
};

export class LocalTransmitter {
  /** SETs waiting to be polled, by jti; removed when acknowledged or reported. */
  readonly pollQueue = new Map<string, string>();
  readonly pollRequests: PollRequestSeen[] = [];
  /** The status the poll endpoint answers with when not 200 (e.g. 401: the credential was revoked). */
  pollFailure: number | null = null;
  /** Access tokens the token endpoint issued and still honours; what it was asked. */
  readonly validTokens = new Set<string>();
  readonly tokenRequests: { authorization: string | null; body: string }[] = [];
  /** expires_in of the tokens it issues (seconds). */
  tokenLifetimeSeconds = 300;
  jwksRequests = 0;
  configurationRequests = 0;
  jwksMode: EndpointMode = "up";
  /** The stream management API (SSF 1.0 §7.1). */
  readonly management = new StreamManagement((bearer) => this.validTokens.has(bearer));
  /** The issuer its metadata names (another one to test the check). */
  metadataIssuer: string | null = null;
  /** The public key a private_key_jwt client signs its assertions with (RFC 7523 §2.2). */
  clientKey: CryptoKey | null = null;
  private published: SigningKey[];
  private rotations = 0;
  private rogue: Promise<SigningKey> | null = null;
  private retired: SigningKey | null = null;

  private constructor(
    readonly issuer: string,
    private rsa: SigningKey,
    private readonly ec: SigningKey,
    readonly clock: { now: number },
  ) {
    this.published = [rsa, ec];
  }

  static async create(clock: { now: number }, issuer = TEST_SSF_ISSUER): Promise<LocalTransmitter> {
    return new LocalTransmitter(issuer, await signingKey("RS256", "rsa-1"), await signingKey("ES256", "ec-1"), clock);
  }

  /** The receiver's config for this transmitter; without jwks_uri unless asked, so discovery is exercised. */
  config(overrides: Partial<SsfTransmitter> = {}): SsfTransmitter {
    return {
      issuer: this.issuer,
      audiences: [TEST_SSF_AUDIENCE],
      jwksUri: null,
      events: [
        CAEP_SESSION_REVOKED,
        "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
        "https://schemas.openid.net/secevent/risc/event-type/account-purged",
      ],
      algorithms: [...SSF_ALGORITHMS],
      jwksMinRefreshMs: 60_000,
      poll: null,
      push: true,
      manage: null,
      ...overrides,
    };
  }

  get currentRsaKid(): string {
    return this.rsa.kid;
  }

  /** A SET for `email` revoking sessions, issued now; override any claim. */
  claims(overrides: Record<string, unknown> = {}): JWTPayload {
    return {
      iss: this.issuer,
      aud: TEST_SSF_AUDIENCE,
      iat: Math.floor(this.clock.now / 1000),
      jti: crypto.randomUUID(),
      sub_id: { format: "email", email: "leaver@example.com" },
      events: { [CAEP_SESSION_REVOKED]: {} },
      ...overrides,
    };
  }

  /**
   * A documented SET (test/fixtures/ssf) as this transmitter would issue it now: its issuer (in `iss` and in
   * every subject that named the fixture's issuer) and audience are ours, its iat is now; override any claim.
   */
  claimsFrom(fixture: { iss: string } & Record<string, unknown>, overrides: Record<string, unknown> = {}): JWTPayload {
    const ours = JSON.parse(JSON.stringify(fixture).replaceAll(JSON.stringify(fixture.iss), JSON.stringify(this.issuer))) as JWTPayload;
    return { ...ours, aud: TEST_SSF_AUDIENCE, iat: Math.floor(this.clock.now / 1000), ...overrides };
  }

  /** Signs with the current RSA key (or the EC key); `typ: null` leaves typ out of the header. */
  async sign(claims: JWTPayload, options: { key?: "rsa" | "ec"; kid?: string | null; typ?: string | null } = {}): Promise<string> {
    const key = options.key === "ec" ? this.ec : this.rsa;
    return signWith(key, claims, options);
  }

  /** Signed by an RSA key pair that was never published, under a kid nobody knows (or the one given; null: none). */
  async signWithUnknownKey(claims: JWTPayload, kid: string | null = `unknown-${crypto.randomUUID()}`): Promise<string> {
    this.rogue ??= signingKey("RS256", "rogue");
    return signWith(await this.rogue, claims, { kid });
  }

  /** `alg: none` (RFC 7519 §6): a header, a payload and an empty signature. */
  signUnsecured(claims: JWTPayload): string {
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    return `${encode({ alg: "none", typ: "secevent+jwt" })}.${encode(claims)}.`;
  }

  /** The RSA public key in SPKI PEM: what an algorithm-confusion attacker uses as an HMAC secret. */
  publicKeyPem(): Promise<string> {
    return exportSPKI(this.rsa.publicKey);
  }

  /** HS256 keyed with the bytes of the RSA public key's PEM, under the RSA key's kid. */
  async signHmacWithPublicKey(claims: JWTPayload): Promise<string> {
    const secret = new TextEncoder().encode(await this.publicKeyPem());
    return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "secevent+jwt", kid: this.rsa.kid }).sign(secret);
  }

  /** A new RSA key signs from now on and is published; the old one is withdrawn unless `keepOld`. Returns the new kid. */
  async rotate(options: { keepOld?: boolean } = {}): Promise<string> {
    this.rotations += 1;
    const next = await signingKey("RS256", `rsa-${this.rotations + 1}`);
    this.published = options.keepOld ? [next, ...this.published] : [next, this.ec];
    const previous = this.rsa;
    this.rsa = next;
    this.retired = previous;
    return next.kid;
  }

  /** Signs with the RSA key that the last rotation replaced. */
  signWithRetiredKey(claims: JWTPayload, options: { kid?: string | null } = {}): Promise<string> {
    if (this.retired === null) throw new Error("no rotation yet");
    return signWith(this.retired, claims, options);
  }

  /** Queues a SET for the poll endpoint under its jti (or another key, to test a mismatch). */
  queueForPoll(token: string, jti: string): void {
    this.pollQueue.set(jti, token);
  }

  private poll(init: RequestInit): Response {
    const body = JSON.parse(String(init.body)) as Omit<PollRequestSeen, "authorization">;
    const authorization = new Headers(init.headers).get("authorization");
    this.pollRequests.push({
      authorization,
      ack: body.ack ?? [],
      setErrs: body.setErrs ?? {},
      maxEvents: body.maxEvents,
      returnImmediately: body.returnImmediately,
    });
    if (this.pollFailure !== null) return Response.json({ err: "authentication_failed", description: "no" }, { status: this.pollFailure });
    const bearer = authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : null;
    if (bearer !== TEST_SSF_POLL_AUTH && !(bearer !== null && this.validTokens.has(bearer))) {
      return Response.json({ err: "authentication_failed", description: "no" }, { status: 401 });
    }
    for (const jti of [...(body.ack ?? []), ...Object.keys(body.setErrs ?? {})]) this.pollQueue.delete(jti);
    const handed = [...this.pollQueue].slice(0, body.maxEvents ?? this.pollQueue.size);
    return Response.json({ sets: Object.fromEntries(handed), moreAvailable: this.pollQueue.size > handed.length });
  }

  /** RFC 7523 §2.2 / §3: the assertion signed by the registered key, iss = sub = the client, aud = this endpoint. */
  private async assertionIsValid(form: URLSearchParams): Promise<boolean> {
    if (this.clientKey === null || form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") return false;
    try {
      const { payload } = await jwtVerify(form.get("client_assertion") ?? "", this.clientKey, {
        issuer: TEST_SSF_CLIENT.id,
        subject: TEST_SSF_CLIENT.id,
        audience: TEST_SSF_TOKEN_URL,
        currentDate: new Date(this.clock.now),
      });
      return typeof payload.jti === "string" && typeof payload.exp === "number";
    } catch {
      return false;
    }
  }

  private async token(init: RequestInit): Promise<Response> {
    const authorization = new Headers(init.headers).get("authorization");
    const body = String(init.body);
    this.tokenRequests.push({ authorization, body });
    if (new URLSearchParams(body).has("client_assertion")) {
      if (!(await this.assertionIsValid(new URLSearchParams(body)))) return Response.json({ error: "invalid_client" }, { status: 401 });
      const token = `at-${crypto.randomUUID()}`;
      this.validTokens.add(token);
      return Response.json({ access_token: token, token_type: "Bearer", expires_in: this.tokenLifetimeSeconds });
    }
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
    const expected = `Basic ${btoa(`${encode(TEST_SSF_CLIENT.id)}:${encode(TEST_SSF_CLIENT.secret)}`)}`;
    if (authorization !== expected) return Response.json({ error: "invalid_client" }, { status: 401 });
    if (new URLSearchParams(body).get("grant_type") !== "client_credentials")
      return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
    const token = `at-${crypto.randomUUID()}`;
    this.validTokens.add(token);
    return Response.json({ access_token: token, token_type: "Bearer", expires_in: this.tokenLifetimeSeconds });
  }

  /** The transmitter's HTTP side, to inject as the receiver's fetch. */
  readonly fetch: SsfFetch = async (url, init) => {
    if (url === TEST_SSF_POLL_URL && init.method === "POST") return this.poll(init);
    if (url === TEST_SSF_TOKEN_URL && init.method === "POST") return this.token(init);
    if (this.management.handles(url)) return this.management.serve(url, init);
    if (url === ssfConfigurationUrl(this.issuer)) {
      this.configurationRequests += 1;
      return Response.json({
        spec_version: "1_0",
        issuer: this.metadataIssuer ?? this.issuer,
        jwks_uri: TEST_SSF_JWKS_URI,
        delivery_methods_supported: ["urn:ietf:rfc:8935"],
        ...MANAGEMENT_ENDPOINTS,
      });
    }
    if (url !== TEST_SSF_JWKS_URI) return new Response("not found", { status: 404 });
    this.jwksRequests += 1;
    switch (this.jwksMode) {
      case "up":
        return Response.json({ keys: this.published.map((key) => key.publicJwk) });
      case "down":
        return new Response("unavailable", { status: 503 });
      case "unreachable":
        throw new TypeError("network connection lost");
      case "garbage":
        return new Response("<html>it works!</html>", { status: 200, headers: { "content-type": "text/html" } });
      case "slow":
        return new Promise<Response>((_, reject) => {
          init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
        });
      case "hang":
        return new Promise<Response>(() => {});
    }
  };
}

function signWith(key: SigningKey, claims: JWTPayload, options: { kid?: string | null; typ?: string | null }): Promise<string> {
  const header: { alg: string; kid?: string; typ?: string } = { alg: key.alg };
  const kid = options.kid === undefined ? key.kid : options.kid;
  const typ = options.typ === undefined ? "secevent+jwt" : options.typ;
  if (kid !== null) header.kid = kid;
  if (typ !== null) header.typ = typ;
  return new SignJWT(claims).setProtectedHeader(header).sign(key.privateKey);
}
