// The Graph client's pure parts and the token source, with documented inputs: Retry-After as delta-seconds or an
// HTTP date (RFC 9110 §10.2.3), Graph's error codes (its error responses: {"error": {"code"}}), the identity
// platform's ({"error": "invalid_client"}); a user's addresses as Graph gives them (a guest's #EXT# UPN, a
// soft-deleted user's UPN prefixed with its id); the certificate credential's client assertion as "Microsoft
// identity platform application authentication certificate credentials" describes it, checked by the fake.
import { base64url, decodeJwt, decodeProtectedHeader, exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { createFakeGraph } from "../../scripts/fake-graph";
import { sha256 } from "../../src/crypto/sha256";
import { userEmails } from "../../src/domain/entra";
import { classifyStatus, retryAfterMs } from "../../src/entra/graph-exchange";
import { createGraphTokenSource } from "../../src/entra/graph-token";
import { TEST_ENTRA } from "../helpers/bindings";

const NOW = Date.parse("2026-12-01T12:00:00Z");

describe("Graph's answers", () => {
  it("reads Retry-After as seconds or as a date, bounded, with a default", () => {
    expect(retryAfterMs("30", NOW)).toBe(30_000);
    expect(retryAfterMs("Tue, 01 Dec 2026 12:02:00 GMT", NOW)).toBe(120_000);
    expect(retryAfterMs(null, NOW)).toBe(60_000);
    expect(retryAfterMs("soon", NOW)).toBe(60_000);
    expect(retryAfterMs("999999999", NOW)).toBe(3_600_000);
    expect(retryAfterMs("0", NOW)).toBe(1000);
  });

  it.each([
    [429, { error: { code: "TooManyRequests" } }, "10", "throttled", 10_000],
    [503, { error: { code: "ServiceUnavailable" } }, "5", "throttled", 5000],
    [503, null, null, "unavailable", null],
    [410, { error: { code: "resyncRequired" } }, null, "sync_reset", null],
    [400, { error: { code: "syncStateNotFound" } }, null, "sync_reset", null],
    [401, { error: { code: "InvalidAuthenticationToken" } }, null, "refused", null],
    [403, { error: { code: "Authorization_RequestDenied" } }, null, "refused", null],
    [404, { error: { code: "Request_ResourceNotFound" } }, null, "not_found", null],
    [400, { error: "invalid_client" }, null, "http_error", null],
  ])("HTTP %i %j (Retry-After %s) is %s", (status, body, retryAfter, kind, wait) => {
    expect(classifyStatus(status, body, retryAfter, NOW)).toMatchObject({ kind, retryAfterMs: wait });
  });
});

describe("a user's addresses", () => {
  const id = "8a0b5d2c-1e3f-4a5b-9c7d-6e5f4a3b2c1d";
  it("are mail, otherMails and the UPN, lower-cased, unusable ones dropped", () => {
    expect(
      userEmails({ id, mail: "Ann.Lee@Contoso.com", otherMails: ["ann@personal.example", "not an address"], userPrincipalName: "ann@contoso.com" }),
    ).toEqual(["ann.lee@contoso.com", "ann@personal.example", "ann@contoso.com"]);
  });

  it("skip a guest's #EXT# UPN, and take a soft-deleted user's id prefix off theirs", () => {
    expect(userEmails({ id, mail: "guest@partner.example", userPrincipalName: "guest_partner.example#EXT#@contoso.onmicrosoft.com" })).toEqual([
      "guest@partner.example",
    ]);
    expect(userEmails({ id, mail: null, userPrincipalName: `${id.replace(/-/g, "")}ann@contoso.com` }, true)).toEqual(["ann@contoso.com"]);
  });
});

describe("the app's token", () => {
  const deliver = async () => new Response(null, { status: 500 });

  it("by client secret: reused until near its expiry, fetched again after invalidate", async () => {
    const graph = createFakeGraph({ ...TEST_ENTRA, deliver, now: () => NOW });
    let calls = 0;
    const source = createGraphTokenSource(
      { ...TEST_ENTRA, credential: { kind: "secret", secret: TEST_ENTRA.clientSecret } },
      {
        fetch: (url, init) => {
          calls++;
          return graph.fetch(url, init);
        },
        now: () => NOW,
      },
    );
    const first = await source.authorization();
    expect(first).toMatchObject({ ok: true, fresh: true, authorization: expect.stringMatching(/^Bearer graph-token-/) });
    expect(await source.authorization()).toMatchObject({ ok: true, fresh: false });
    source.invalidate();
    expect(await source.authorization()).toMatchObject({ ok: true, fresh: true });
    expect(calls).toBe(2);
  });

  it("a wrong secret is refused, naming the status and invalid_client, never the secret", async () => {
    const graph = createFakeGraph({ ...TEST_ENTRA, deliver, now: () => NOW });
    const source = createGraphTokenSource(
      { ...TEST_ENTRA, credential: { kind: "secret", secret: "wrong-secret-value" } },
      { fetch: graph.fetch, now: () => NOW },
    );
    const outcome = await source.authorization();
    expect(outcome).toMatchObject({ ok: false, kind: "refused", detail: "token endpoint: HTTP 401 (invalid_client)" });
    expect(JSON.stringify(outcome)).not.toContain("wrong-secret-value");
  });

  it("by certificate: a PS256 client assertion with x5t#S256, aud the token endpoint, iss and sub the client id", async () => {
    const { privateKey, publicKey } = await generateKeyPair("PS256", { extractable: true });
    // Any DER stands for the certificate: Entra matches it by thumbprint, which is all the assertion names.
    const der = crypto.getRandomValues(new Uint8Array(600));
    const pem = `${await exportPKCS8(privateKey)}\n-----BEGIN CERTIFICATE-----\n${btoa(String.fromCharCode(...der))}\n-----END CERTIFICATE-----\n`;
    const thumbprint = base64url.encode(await sha256(der));
    const graph = createFakeGraph({ ...TEST_ENTRA, deliver, now: () => Date.now(), certificate: { spki: await exportSPKI(publicKey), thumbprint } });
    let form: URLSearchParams | null = null;
    const source = createGraphTokenSource(
      { ...TEST_ENTRA, credential: { kind: "certificate", pem } },
      {
        fetch: async (url, init) => {
          form = new URLSearchParams(String(init.body));
          return graph.fetch(url, init);
        },
        now: () => Date.now(),
      },
    );
    expect(await source.authorization()).toMatchObject({ ok: true, fresh: true });
    const assertion = form!.get("client_assertion")!;
    expect(form!.get("client_secret")).toBeNull();
    expect(form!.get("client_assertion_type")).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: "PS256", typ: "JWT", "x5t#S256": thumbprint });
    expect(decodeJwt(assertion)).toMatchObject({
      aud: `${TEST_ENTRA.loginBaseUrl}/${TEST_ENTRA.tenantId}/oauth2/v2.0/token`,
      iss: TEST_ENTRA.clientId,
      sub: TEST_ENTRA.clientId,
      jti: expect.any(String),
    });
    const other = await generateKeyPair("PS256", { extractable: true });
    const stranger = createGraphTokenSource(
      {
        ...TEST_ENTRA,
        credential: {
          kind: "certificate",
          pem: pem.replace(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/, await exportPKCS8(other.privateKey)),
        },
      },
      { fetch: graph.fetch, now: () => Date.now() },
    );
    expect(await stranger.authorization()).toMatchObject({ ok: false, kind: "refused" });
  });
});
