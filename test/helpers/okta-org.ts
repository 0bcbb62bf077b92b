// A stand-in for an Okta org's side of Universal Logout: an RSA signing key published at the org's JWKS
// (OKTA_ORG_URL/oauth2/v1/keys, served through the fetch the test hands the Worker), and logout tokens shaped as
// Okta sends them (header typ "global-token-revocation+jwt", alg RS256, a kid; claims iss = the org, sub = the
// app's client id there, aud = the endpoint URL, jti, iat, nbf and a five-minute exp: the IETF draft "OAuth 2.0
// Global Token Revocation" §3.5, and Okta's Universal Logout samples), plus the ways an attacker would sign them.
import { base64url, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { TEST_OKTA_ORG_URL, TEST_UNIVERSAL_LOGOUT_AUDIENCE } from "./bindings";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export class LocalOktaOrg {
  jwksRequests = 0;
  /** up: serves the keys; down: 503. */
  jwksMode: "up" | "down" = "up";

  private constructor(
    private readonly keys: KeyPair,
    private readonly publicJwk: JWK,
    private readonly rogue: KeyPair,
  ) {}

  static async create(): Promise<LocalOktaOrg> {
    const keys = await generateKeyPair("RS256", { extractable: true });
    const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: "okta-rsa-1", alg: "RS256", use: "sig" };
    return new LocalOktaOrg(keys, publicJwk, await generateKeyPair("RS256"));
  }

  /** Serves the org's JWKS; any other URL is a 404 (the fetch a test installs for the Worker). */
  readonly fetch = async (url: string): Promise<Response> => {
    if (url !== `${TEST_OKTA_ORG_URL}/oauth2/v1/keys`) return new Response("not found", { status: 404 });
    this.jwksRequests++;
    if (this.jwksMode === "down") return new Response("unavailable", { status: 503 });
    return Response.json({ keys: [this.publicJwk] });
  };

  /** The claims Okta puts in a logout token, issued now; override any. */
  claims(overrides: Record<string, unknown> = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: TEST_OKTA_ORG_URL,
      sub: "0oa-universal-logout-app",
      aud: TEST_UNIVERSAL_LOGOUT_AUDIENCE,
      jti: crypto.randomUUID(),
      iat: now,
      nbf: now - 300,
      exp: now + 300,
      ...overrides,
    };
  }

  /** Signed with the org's published key; `typ: null` leaves typ out, `kid: null` the kid. */
  sign(claims: JWTPayload, options: { typ?: string | null; kid?: string | null } = {}): Promise<string> {
    return signed(this.keys.privateKey, claims, options.kid === undefined ? "okta-rsa-1" : options.kid, options.typ);
  }

  /** Signed by a key pair the org never published, under its published kid. */
  signWithUnpublishedKey(claims: JWTPayload): Promise<string> {
    return signed(this.rogue.privateKey, claims, "okta-rsa-1");
  }

  /** `alg: none`: no signature at all. */
  unsigned(claims: JWTPayload): string {
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    return `${encode({ alg: "none", typ: "global-token-revocation+jwt" })}.${encode(claims)}.`;
  }

  /** HS256 keyed with the published key's PEM: the algorithm-confusion forgery. */
  async signHmacWithPublicKey(claims: JWTPayload): Promise<string> {
    const secret = new TextEncoder().encode(await exportSPKI(this.keys.publicKey));
    return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "global-token-revocation+jwt", kid: "okta-rsa-1" }).sign(secret);
  }
}

function signed(key: CryptoKey, claims: JWTPayload, kid: string | null, typ?: string | null): Promise<string> {
  const header: { alg: string; kid?: string; typ?: string } = { alg: "RS256" };
  if (kid !== null) header.kid = kid;
  if (typ !== null) header.typ = typ ?? "global-token-revocation+jwt";
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}
