import { describe, expect, it } from "vitest";
import { configuredSources, parseConfig } from "../../src/config";
import { splitSecretList } from "../../src/config/secrets";
import { workerFetch } from "../helpers/worker";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const minimal = { ACCESS_ACCOUNT_ID: ACCOUNT, ACCESS_API_TOKEN: "t", OPERATOR_TOKEN: "o" };

describe("parseConfig", () => {
  it("applies the documented defaults", () => {
    const result = parseConfig(minimal);
    expect(result).toEqual({
      ok: true,
      notes: [],
      config: expect.objectContaining({
        cfApiBaseUrl: "https://api.cloudflare.com/client/v4",
        revokeDevices: true,
        warpSessionReauth: false,
        dryRun: false,
        revokeRatePerSecond: "auto",
        revokeRateMaxPerSecond: null,
        signatureToleranceSeconds: 300,
        keycloakMaxEventAgeSeconds: 3600,
        auditRetentionDays: 90,
        targets: [{ kind: "accounts", id: ACCOUNT }],
        // GitHub-style means GitHub's header (docs.github.com, "Validating webhook deliveries").
        hmacSource: expect.objectContaining({ header: "X-Hub-Signature-256", prefix: "sha256=" }),
      }),
    });
  });

  // Okta's guide sets an event hook's secret to `Basic <base64>` (developer.okta.com/docs/guides/secure-hooks).
  const OKTA_SECRET = "Basic YWRtaW46c3VwZXJzZWNyZXQ=";

  it("keeps a secret with a space whole: rotation lists are separated by newlines only", () => {
    expect(splitSecretList(OKTA_SECRET)).toEqual([OKTA_SECRET]);
    expect(splitSecretList(`  ${OKTA_SECRET}  \r\nBasic bmV3OnNlY3JldA==\n\n`)).toEqual([OKTA_SECRET, "Basic bmV3OnNlY3JldA=="]);
    expect(splitSecretList("a, b")).toEqual(["a, b"]);
    const result = parseConfig({ ...minimal, WEBHOOK_SECRET_OKTA: OKTA_SECRET });
    expect(result.ok && result.config.webhookSecrets.okta).toEqual([OKTA_SECRET]);
  });

  it("names a bearer token with whitespace (an old space-separated list) as a problem", () => {
    const result = parseConfig({ ...minimal, OPERATOR_TOKEN: "old-token new-token" });
    expect(!result.ok && result.problems).toEqual([expect.stringMatching(/^OPERATOR_TOKEN: value 1 contains whitespace/)]);
    expect(JSON.stringify(result)).not.toContain("old-token");
  });

  // Regression: secret lists became one per line, so an old comma-separated list silently became one
  // token that no client sends (RFC 6750's b64token has no comma).
  it.each(["OPERATOR_TOKEN", "SCIM_TOKEN", "ACCESS_API_TOKEN"])("names a %s with a comma (an old comma-separated list) as a problem", (name) => {
    const result = parseConfig({ ...minimal, [name]: "first-token\nold-token,new-token" });
    expect(!result.ok && result.problems).toEqual([
      `${name}: value 2 contains a comma, which no bearer token can (RFC 6750): lists are one per line now, put each token on its own line`,
    ]);
    expect(JSON.stringify(result)).not.toContain("old-token");
  });

  it("keeps a comma in a webhook secret, which the sender's owner may choose", () => {
    const result = parseConfig({ ...minimal, WEBHOOK_SECRET_KEYCLOAK: "chosen,with a comma", WEBHOOK_SECRET_GOOGLE: "a,b" });
    expect(result.ok && [result.config.webhookSecrets.keycloak, result.config.webhookSecrets.google]).toEqual([["chosen,with a comma"], ["a,b"]]);
  });

  it.each(["WEBHOOK_SECRET_STANDARD", "WEBHOOK_SECRET_CLERK"])("names a %s that is not base64 after whsec_", (name) => {
    const good = "whsec_c3RhbmRhcmQgd2ViaG9va3MgdGVzdCBzZWNyZXQgMzI=";
    const result = parseConfig({ ...minimal, [name]: `${good}\nwhsec_not*base64!` });
    expect(!result.ok && result.problems).toEqual([`${name}: value 2 is not base64 after whsec_ (copy the whole signing secret; one per line)`]);
    expect(parseConfig({ ...minimal, [name]: good }).ok).toBe(true);
  });

  it("notes (without failing) that HMAC_EVENT_ID_HEADER is ignored", () => {
    const result = parseConfig({ ...minimal, HMAC_EVENT_ID_HEADER: "X-GitHub-Delivery" });
    expect(result.ok).toBe(true);
    expect(result.notes).toEqual([expect.stringMatching(/^HMAC_EVENT_ID_HEADER: ignored/)]);
  });

  it("checks SSF_AUTH_<NAME> with the other secrets: a control character is a problem, a name no transmitter has is noted", () => {
    const SSF_TRANSMITTERS = JSON.stringify({ "okta-prod": { issuer: "https://acme.okta.com", audience: "https://revoker.example" } });
    // SSF 1.0 §6.1.1: the receiver hands the transmitter a whole header value, scheme and space included.
    const good = parseConfig({ ...minimal, SSF_TRANSMITTERS, SSF_AUTH_OKTA_PROD: "Bearer 8f14e45fceea167a5a36dedd4bea2543" });
    expect(good).toMatchObject({ ok: true, notes: [] });

    const typo = parseConfig({ ...minimal, SSF_TRANSMITTERS, SSF_AUTH_OKTA: "Bearer 8f14e45fceea167a5a36dedd4bea2543" });
    expect(typo.ok).toBe(true);
    expect(typo.notes).toEqual([expect.stringMatching(/^SSF_AUTH_OKTA: ignored; no transmitter in SSF_TRANSMITTERS/)]);

    const broken = parseConfig({ ...minimal, SSF_TRANSMITTERS, SSF_AUTH_OKTA_PROD: "Bearer one\nBearer two\u0007" });
    expect(!broken.ok && broken.problems).toEqual(["SSF_AUTH_OKTA_PROD: value 2 contains a control character"]);
    expect(JSON.stringify(broken)).not.toContain("Bearer two");
  });

  it("notes a polled transmitter without SSF_POLL_AUTH_<NAME>, and an SSF_POLL_AUTH_<NAME> for a transmitter that is not polled", () => {
    const transmitter = { issuer: "https://keycloak.example/realms/acme", audience: "https://revoker.example" };
    const SSF_TRANSMITTERS = JSON.stringify({ kc: { ...transmitter, poll: { endpoint: "https://keycloak.example/ssf/poll" } }, pushed: transmitter });
    expect(parseConfig({ ...minimal, SSF_TRANSMITTERS, SSF_POLL_AUTH_KC: "token" })).toMatchObject({ ok: true, notes: [] });
    expect(parseConfig({ ...minimal, SSF_TRANSMITTERS }).notes).toEqual([expect.stringMatching(/^SSF_POLL_AUTH_KC: not set/)]);
    expect(parseConfig({ ...minimal, SSF_TRANSMITTERS, SSF_POLL_AUTH_KC: "token", SSF_POLL_AUTH_PUSHED: "token" }).notes).toEqual([
      expect.stringMatching(/^SSF_POLL_AUTH_PUSHED: ignored; no transmitter in SSF_TRANSMITTERS uses this secret/),
    ]);
  });

  it("expects SSF_POLL_CLIENT_SECRET_<NAME> instead of SSF_POLL_AUTH_<NAME> for a poll endpoint with a token_endpoint", () => {
    const poll = { endpoint: "https://kc.example/poll", token_endpoint: "https://kc.example/token", client_id: "revoker" };
    const SSF_TRANSMITTERS = JSON.stringify({ kc: { issuer: "https://kc.example/realms/acme", audience: "https://revoker.example", poll } });
    expect(parseConfig({ ...minimal, SSF_TRANSMITTERS, SSF_POLL_CLIENT_SECRET_KC: "s" })).toMatchObject({ ok: true, notes: [] });
    expect(parseConfig({ ...minimal, SSF_TRANSMITTERS }).notes).toEqual([
      expect.stringMatching(/^SSF_POLL_CLIENT_SECRET_KC: not set, so kc's poll token/),
    ]);
    expect(parseConfig({ ...minimal, SSF_TRANSMITTERS, SSF_POLL_CLIENT_SECRET_KC: "s", SSF_POLL_AUTH_KC: "t" }).notes).toEqual([
      expect.stringMatching(/^SSF_POLL_AUTH_KC: ignored/),
    ]);
  });

  it("sends to every listed account and zone", () => {
    const zone = "fedcba9876543210fedcba9876543210";
    const result = parseConfig({ ...minimal, ACCESS_ACCOUNT_ID: `${ACCOUNT},${ACCOUNT.toUpperCase()}`, ACCESS_ZONE_ID: zone });
    expect(result.ok && result.config.targets).toEqual([
      { kind: "accounts", id: ACCOUNT },
      { kind: "zones", id: zone },
    ]);
  });

  it("names every problem by variable and never echoes a value", () => {
    const result = parseConfig({
      ACCESS_ACCOUNT_ID: "../../evil",
      ACCESS_API_BASE_URL: "ftp://secret-host",
      REVOKE_RATE_PER_SECOND: "fast",
      DRY_RUN: "maybe",
      OPERATOR_TOKEN: "o",
    });
    expect(result.ok).toBe(false);
    const problems = !result.ok ? result.problems : [];
    expect(problems.map((problem) => problem.split(":")[0])).toEqual(
      expect.arrayContaining(["ACCESS_ACCOUNT_ID", "ACCESS_API_BASE_URL", "REVOKE_RATE_PER_SECOND", "DRY_RUN"]),
    );
    expect(problems.join(" ")).not.toMatch(/evil|secret-host|fast|maybe/);
  });

  it("requires a target, an operator token, and a Cloudflare token unless DRY_RUN", () => {
    expect(parseConfig({})).toEqual({
      ok: false,
      notes: [],
      problems: [
        "ACCESS_ACCOUNT_ID: set ACCESS_ACCOUNT_ID and/or ACCESS_ZONE_ID",
        "ACCESS_API_TOKEN: required unless DRY_RUN=true (or a token for every target in ACCESS_API_TOKENS)",
        "OPERATOR_TOKEN: required",
      ],
    });
    expect(parseConfig({ ACCESS_ACCOUNT_ID: ACCOUNT, OPERATOR_TOKEN: "o", DRY_RUN: "true" }).ok).toBe(true);
  });
});

describe("REVOKE_RATE_PER_SECOND, REVOKE_RATE_MAX_PER_SECOND (issue #22)", () => {
  it.each([
    ["auto", "auto"],
    ["AUTO", "auto"],
    ["", "auto"],
    ["3", 3],
    ["0.5", 0.5],
  ])("reads REVOKE_RATE_PER_SECOND=%s as %s", (value, expected) => {
    const result = parseConfig({ ...minimal, REVOKE_RATE_PER_SECOND: value });
    expect(result.ok && result.config.revokeRatePerSecond).toBe(expected);
  });

  it("names a rate that is neither auto nor a number in range, and a maximum out of range", () => {
    const result = parseConfig({ ...minimal, REVOKE_RATE_PER_SECOND: "fast", REVOKE_RATE_MAX_PER_SECOND: "0" });
    expect(!result.ok && result.problems).toEqual([
      "REVOKE_RATE_PER_SECOND: must be auto or a number from 0.01 to 1000",
      "REVOKE_RATE_MAX_PER_SECOND: must be a number from 0.01 to 1000, or blank",
    ]);
    expect(parseConfig({ ...minimal, REVOKE_RATE_MAX_PER_SECOND: "4" })).toMatchObject({ ok: true, config: { revokeRateMaxPerSecond: 4 } });
  });
});

describe("ACCESS_API_TOKENS: a token per target (issue #22)", () => {
  const ZONE = "fedcba9876543210fedcba9876543210";
  const two = { ACCESS_ACCOUNT_ID: ACCOUNT, ACCESS_ZONE_ID: ZONE, OPERATOR_TOKEN: "o" };

  it("gives each target its own token, and the others ACCESS_API_TOKEN", () => {
    const result = parseConfig({
      ...two,
      ACCESS_API_TOKEN: "for-all",
      ACCESS_API_TOKENS: JSON.stringify({ [`zones/${ZONE.toUpperCase()}`]: "zone-only" }),
    });
    expect(result.ok && result.config.targetTokens).toEqual(
      new Map([
        [`accounts/${ACCOUNT}`, "for-all"],
        [`zones/${ZONE}`, "zone-only"],
      ]),
    );
  });

  it("needs no ACCESS_API_TOKEN when every target has its own", () => {
    const own = JSON.stringify({ [`accounts/${ACCOUNT}`]: "a-token", [`zones/${ZONE}`]: "z-token" });
    expect(parseConfig({ ...two, ACCESS_API_TOKENS: own })).toMatchObject({ ok: true, notes: [] });
  });

  it("names each target left without a token as a problem (for /healthz), unless DRY_RUN", () => {
    const result = parseConfig({ ...two, ACCESS_API_TOKENS: JSON.stringify({ [`accounts/${ACCOUNT}`]: "a-secret-token" }) });
    expect(!result.ok && result.problems).toEqual([
      `ACCESS_API_TOKENS: no token for zones/${ZONE}; add one for it, or set ACCESS_API_TOKEN for the targets without their own`,
    ]);
    expect(JSON.stringify(result)).not.toContain("a-secret-token");
    expect(parseConfig({ ...two, DRY_RUN: "true", ACCESS_API_TOKENS: JSON.stringify({ [`accounts/${ACCOUNT}`]: "t" }) }).ok).toBe(true);
  });

  it.each([
    ["not JSON", "accounts/x=token", 'ACCESS_API_TOKENS: must be a JSON object such as {"accounts/<id>": "<token>", "zones/<id>": "<token>"}'],
    ["an array", '["token"]', 'ACCESS_API_TOKENS: must be a JSON object such as {"accounts/<id>": "<token>", "zones/<id>": "<token>"}'],
    [
      "a key that is no target",
      '{"account-secret-ish": "tok"}',
      "ACCESS_API_TOKENS: entry 1: the key must be accounts/<id> or zones/<id>, the id 32 hexadecimal characters",
    ],
    ["a token that is not a string", `{"accounts/${ACCOUNT}": 5}`, "ACCESS_API_TOKENS: entry 1: the token is empty or not a string"],
    ["two tokens in one", `{"accounts/${ACCOUNT}": "tok-one tok-two"}`, "ACCESS_API_TOKENS: entry 1: the token is not one bearer token"],
  ])("names %s by position, never by content", (_, value, problem) => {
    const result = parseConfig({ ...minimal, ACCESS_API_TOKENS: value });
    expect(!result.ok && result.problems).toContain(problem);
    expect(JSON.stringify(result)).not.toMatch(/tok-one|secret-ish|"tok"/);
  });

  it("notes an entry for a target that is not configured, counting it without naming it", () => {
    const result = parseConfig({ ...minimal, ACCESS_API_TOKENS: JSON.stringify({ [`zones/${ZONE}`]: "unused-token" }) });
    expect(result).toMatchObject({ ok: true, notes: ["ACCESS_API_TOKENS: 1 entry names no target in ACCESS_ACCOUNT_ID or ACCESS_ZONE_ID; unused"] });
  });
});

describe("PUBLIC_URL, the Worker's own origin (issue #20)", () => {
  it.each([
    ["https://revoker.example.com", "https://revoker.example.com"],
    ["https://revoker.example.com/", "https://revoker.example.com"],
    ["https://Revoker.Example.com:8443", "https://revoker.example.com:8443"],
    ["http://127.0.0.1:8787", "http://127.0.0.1:8787"],
    ["http://localhost:8787/", "http://localhost:8787"],
  ])("reads %s as the origin %s", (value, origin) => {
    const result = parseConfig({ ...minimal, PUBLIC_URL: value });
    expect(result.ok && result.config.publicUrl).toBe(origin);
  });

  it("is null when unset", () => {
    const result = parseConfig(minimal);
    expect(result.ok && result.config.publicUrl).toBeNull();
  });

  it.each([
    "http://revoker.example.com",
    "https://revoker.example.com/ssf",
    "https://revoker.example.com/?x=1",
    "https://revoker.example.com/#top",
    "https://user:pass@revoker.example.com",
    "revoker.example.com",
    "ftp://revoker.example.com",
  ])("refuses %s, naming the variable and not the value", (value) => {
    const result = parseConfig({ ...minimal, PUBLIC_URL: value });
    expect(!result.ok && result.problems).toEqual([expect.stringMatching(/^PUBLIC_URL: must be the Worker's https origin/)]);
    expect(JSON.stringify(result)).not.toContain("revoker.example.com/");
  });

  it("is required by a managed connection: a problem naming PUBLIC_URL and the setting that needs it", () => {
    const result = parseConfig({ ...minimal, GOOGLE_SERVICE_ACCOUNT_KEY: SERVICE_ACCOUNT_KEY, GOOGLE_ADMIN_EMAIL: "admin@example.com" });
    expect(!result.ok && result.problems).toEqual([expect.stringMatching(/^PUBLIC_URL: required by GOOGLE_SERVICE_ACCOUNT_KEY: /)]);
    const streams = parseConfig({
      ...minimal,
      SSF_TRANSMITTERS: JSON.stringify({ okta: { issuer: "https://example.okta.com", audience: "x", manage: { bearer: true } } }),
    });
    expect(!streams.ok && streams.problems).toContainEqual(expect.stringMatching(/^PUBLIC_URL: required by SSF_TRANSMITTERS \(okta\.manage\): /));
    const google = { GOOGLE_SERVICE_ACCOUNT_KEY: SERVICE_ACCOUNT_KEY, GOOGLE_ADMIN_EMAIL: "admin@example.com" };
    expect(parseConfig({ ...minimal, ...google, PUBLIC_URL: "https://revoker.example.com" }).ok).toBe(true);
  });
});

// The shape of a service account's JSON key file (its private key is not read until a token is needed).
const SERVICE_ACCOUNT_KEY = JSON.stringify({
  type: "service_account",
  client_email: "revoker@project-1.iam.gserviceaccount.com",
  private_key: `-----BEGIN PRIVATE KEY-----\n${"A".repeat(120)}\n-----END PRIVATE KEY-----\n`,
  private_key_id: "key-1",
});

describe("a managed SSF transmitter's secrets (issue #20)", () => {
  it("notes the manage secret that is missing, by name, and takes the PEM whole", () => {
    const manage = { token_endpoint: "https://example.okta.com/oauth2/v1/token", client_id: "c", auth: "private_key_jwt" };
    const vars = {
      ...minimal,
      PUBLIC_URL: "https://revoker.example.com",
      SSF_TRANSMITTERS: JSON.stringify({ okta: { issuer: "https://example.okta.com", audience: "x", manage } }),
    };
    expect(parseConfig(vars).notes).toContainEqual(expect.stringMatching(/^SSF_MANAGE_PRIVATE_KEY_OKTA: not set/));
    const pem = "-----BEGIN PRIVATE KEY-----\nAAAA\nBBBB\n-----END PRIVATE KEY-----";
    const result = parseConfig({ ...vars, SSF_MANAGE_PRIVATE_KEY_OKTA: pem });
    expect(result.notes).toEqual([]);
    expect(result.ok && result.config.ssfSecrets.get("okta")?.manage.privateKeyPem).toBe(pem);
  });
});

describe("the Google channel's settings (issue #20)", () => {
  const withKey = { ...minimal, PUBLIC_URL: "https://revoker.example.com", GOOGLE_SERVICE_ACCOUNT_KEY: SERVICE_ACCOUNT_KEY };

  it("reads the key file, the admin, the TTL (default 6 hours) and Google's endpoints", () => {
    const result = parseConfig({ ...withKey, GOOGLE_ADMIN_EMAIL: "admin@example.com" });
    expect(result.ok && result.config.googleChannel).toEqual({
      serviceAccount: {
        clientEmail: "revoker@project-1.iam.gserviceaccount.com",
        privateKeyPem: expect.stringContaining("PRIVATE KEY"),
        privateKeyId: "key-1",
      },
      adminEmail: "admin@example.com",
      ttlSeconds: 21_600,
      tokenUrl: "https://oauth2.googleapis.com/token",
      apiBaseUrl: "https://admin.googleapis.com",
    });
    expect(result.ok && configuredSources(result.config)).toContain("google");
  });

  it("needs GOOGLE_ADMIN_EMAIL, and refuses a key that is not a service account's, never quoting it", () => {
    expect(parseConfig(withKey)).toMatchObject({ ok: false, problems: [expect.stringMatching(/^GOOGLE_ADMIN_EMAIL: required/)] });
    const wrong = parseConfig({
      ...withKey,
      GOOGLE_ADMIN_EMAIL: "admin@example.com",
      GOOGLE_SERVICE_ACCOUNT_KEY: '{"type": "authorized_user", "secret": "s3cret"}',
    });
    expect(!wrong.ok && wrong.problems).toEqual([expect.stringMatching(/^GOOGLE_SERVICE_ACCOUNT_KEY: must be the service account's JSON key file/)]);
    expect(JSON.stringify(wrong)).not.toContain("s3cret");
  });

  it("notes WEBHOOK_SECRET_GOOGLE as ignored beside a service account", () => {
    const result = parseConfig({ ...withKey, GOOGLE_ADMIN_EMAIL: "admin@example.com", WEBHOOK_SECRET_GOOGLE: "static" });
    expect(result.notes).toContainEqual(expect.stringMatching(/^WEBHOOK_SECRET_GOOGLE: ignored while GOOGLE_SERVICE_ACCOUNT_KEY is set/));
  });
});

describe("ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET (issue #20)", () => {
  it.each([
    "https://hooks.slack.com/services/T0/B0/credential",
    "https://example.webhook.office.com/webhookb2/abc?x=1",
    "http://127.0.0.1:9999/alerts",
  ])("takes %s as written (its path is the credential)", (value) => {
    const result = parseConfig({ ...minimal, ALERT_WEBHOOK_URL: value });
    expect(result.ok && result.config.alertWebhookUrl).toBe(value);
  });

  it.each([
    "http://hooks.example.com/s3cr3t-path",
    "https://user:pw@hooks.example.com/s3cr3t-path",
    "https://hooks.example.com/s3cr3t-path#x",
    "nope",
  ])("refuses %s without quoting it", (value) => {
    const result = parseConfig({ ...minimal, ALERT_WEBHOOK_URL: value });
    expect(!result.ok && result.problems).toEqual([expect.stringMatching(/^ALERT_WEBHOOK_URL: must be an https URL/)]);
    expect(JSON.stringify(result)).not.toContain("s3cr3t-path");
  });

  it("is off when unset; ALERT_WEBHOOK_SECRET is a list of whsec_ secrets", () => {
    const off = parseConfig(minimal);
    expect(off.ok && off.config.alertWebhookUrl).toBeNull();
    const signed = parseConfig({ ...minimal, ALERT_WEBHOOK_SECRET: "whsec_YWxlcnQgc2lnbmluZyBzZWNyZXQsIDMyIGJ5dGVzISE=" });
    expect(signed.ok && signed.config.alertWebhookSecrets).toHaveLength(1);
    expect(signed.notes).toEqual(["ALERT_WEBHOOK_SECRET: ignored; no alert is sent without ALERT_WEBHOOK_URL (see docs/operations.md#alerts)"]);
    const both = parseConfig({
      ...minimal,
      ALERT_WEBHOOK_URL: "https://hooks.example.com/x",
      ALERT_WEBHOOK_SECRET: "whsec_YWxlcnQgc2lnbmluZyBzZWNyZXQsIDMyIGJ5dGVzISE=",
    });
    expect(both.notes).toEqual([]);
  });
});

describe("SOURCE_SILENCE_HOURS (issue #20)", () => {
  it("reads hours by source name", () => {
    const result = parseConfig({ ...minimal, WEBHOOK_SECRET_OKTA: "s", SCIM_TOKEN: "t", SOURCE_SILENCE_HOURS: '{"okta": 72, "scim": 0.5}' });
    expect(result.ok && [...result.config.silenceHours]).toEqual([
      ["okta", 72],
      ["scim", 0.5],
    ]);
    expect(result.notes).toEqual([]);
  });

  it.each(['{"okta": 0}', '{"okta": -1}', '{"okta": "72"}', '{"okta": 9000}', '{"Okta!": 1}', "[72]", "72", "not json"])(
    "refuses %s, naming the variable",
    (value) => {
      const result = parseConfig({ ...minimal, SOURCE_SILENCE_HOURS: value });
      expect(!result.ok && result.problems).toEqual([expect.stringMatching(/^SOURCE_SILENCE_HOURS: must be a JSON object of source name to hours/)]);
    },
  );

  it("notes a threshold for a source the configuration does not turn on (a typo would never alert)", () => {
    const result = parseConfig({ ...minimal, WEBHOOK_SECRET_OKTA: "s", SOURCE_SILENCE_HOURS: '{"otka": 72}' });
    expect(result.ok && result.notes).toEqual([expect.stringMatching(/^SOURCE_SILENCE_HOURS: otka is not a source this configuration turns on/)]);
  });
});

describe("the CF_* names of before (issue #13: wrangler reads them for its own login)", () => {
  const old = { CF_ACCOUNT_ID: ACCOUNT, CF_API_TOKEN: "old-token", OPERATOR_TOKEN: "o" };

  it("still work, each with a note naming its new name", () => {
    const result = parseConfig({
      ...old,
      CF_ZONE_ID: "fedcba9876543210fedcba9876543210",
      CF_API_BASE_URL: "https://api.example/client/v4",
      CF_API_TIMEOUT_SECONDS: "3",
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      targetTokens: new Map([
        [`accounts/${ACCOUNT}`, "old-token"],
        ["zones/fedcba9876543210fedcba9876543210", "old-token"],
      ]),
      targets: [
        { kind: "accounts", id: ACCOUNT },
        { kind: "zones", id: "fedcba9876543210fedcba9876543210" },
      ],
      cfApiBaseUrl: "https://api.example/client/v4",
      cfApiTimeoutMs: 3000,
    });
    for (const [name, next] of [
      ["CF_API_TOKEN", "ACCESS_API_TOKEN"],
      ["CF_ACCOUNT_ID", "ACCESS_ACCOUNT_ID"],
      ["CF_ZONE_ID", "ACCESS_ZONE_ID"],
      ["CF_API_BASE_URL", "ACCESS_API_BASE_URL"],
      ["CF_API_TIMEOUT_SECONDS", "ACCESS_API_TIMEOUT_SECONDS"],
    ]) {
      expect(result.notes).toContainEqual(expect.stringMatching(new RegExp(`^${name}: deprecated, rename it ${next}`)));
    }
  });

  it("lose to the new name when both are set, with a note saying so", () => {
    const result = parseConfig({ ...old, ACCESS_API_TOKEN: "new-token", ACCESS_ACCOUNT_ID: "fedcba9876543210fedcba9876543210" });
    expect(result.ok && result.config).toMatchObject({
      targetTokens: new Map([["accounts/fedcba9876543210fedcba9876543210", "new-token"]]),
      targets: [{ kind: "accounts", id: "fedcba9876543210fedcba9876543210" }],
    });
    expect(result.notes).toEqual(
      expect.arrayContaining([
        "CF_API_TOKEN: ignored because ACCESS_API_TOKEN is set; remove CF_API_TOKEN",
        "CF_ACCOUNT_ID: ignored because ACCESS_ACCOUNT_ID is set; remove CF_ACCOUNT_ID",
      ]),
    );
  });

  it("never leak a value into a note", () => {
    const result = parseConfig({ ...old, CF_API_TOKEN: "very-secret-token-value" });
    expect(JSON.stringify(result.notes)).not.toContain("very-secret-token-value");
  });
});

describe("an unconfigured Worker", () => {
  it("lists every problem in one answer, malformed and missing alike", () => {
    const result = parseConfig({ ACCESS_API_BASE_URL: "ftp://x", REVOKE_RATE_PER_SECOND: "fast", WEBHOOK_SECRET_STANDARD: "whsec_***" });
    expect(!result.ok && result.problems.map((problem) => problem.split(":")[0])).toEqual([
      "WEBHOOK_SECRET_STANDARD",
      "ACCESS_API_BASE_URL",
      "REVOKE_RATE_PER_SECOND",
      "ACCESS_ACCOUNT_ID",
      "ACCESS_API_TOKEN",
      "OPERATOR_TOKEN",
    ]);
  });

  it("answers /healthz 503 naming the problems, and other routes 503 in the error shape", async () => {
    const { app } = await import("../../src/app");
    const unconfigured = { AUDIT_LOG: undefined, LEDGER: undefined, OPERATOR_TOKEN: "super-secret-value" } as unknown as Env;
    const health = await app.request("/healthz", {}, unconfigured);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { ok: boolean; problems: string[] };
    expect(body.ok).toBe(false);
    expect(body.problems).toContain("ACCESS_API_TOKEN: required unless DRY_RUN=true (or a token for every target in ACCESS_API_TOKENS)");
    expect(JSON.stringify(body)).not.toContain("super-secret-value");
    const webhook = await app.request("/webhooks/standard", { method: "POST", body: "{}" }, unconfigured);
    expect(webhook.status).toBe(503);
    expect(((await webhook.json()) as { error: { code: string } }).error.code).toBe("not_configured");
  });

  it("answers /healthz 503 naming a comma-separated OPERATOR_TOKEN, without its value", async () => {
    const { app } = await import("../../src/app");
    const env = { ...minimal, OPERATOR_TOKEN: "old-operator-token,new-operator-token" } as unknown as Env;
    const health = await app.request("/healthz", {}, env);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { problems: string[] };
    expect(body.problems).toEqual([expect.stringMatching(/^OPERATOR_TOKEN: value 1 contains a comma.*lists are one per line now/)]);
    expect(JSON.stringify(body)).not.toContain("operator-token");
  });

  it("still serves the status page (GET /ui), whose calls to /v1 then say it is not configured", async () => {
    const { app } = await import("../../src/app");
    const unconfigured = { AUDIT_LOG: undefined, LEDGER: undefined } as unknown as Env;
    const page = await app.request("/ui", {}, unconfigured);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/^default-src 'none'; script-src 'sha256-/);
    expect(await page.text()).toContain("<h1>access-revoker status</h1>");
    const stats = await app.request("/v1/stats", { headers: { Authorization: "Bearer anything" } }, unconfigured);
    expect(((await stats.json()) as { error: { code: string } }).error.code).toBe("not_configured");
  });

  it("is configured in the test bindings", async () => {
    expect((await workerFetch("/healthz")).status).toBe(200);
  });
});

describe("the public origin, Okta Universal Logout and Entra", () => {
  const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const CLIENT = "11111111-2222-3333-4444-555555555555";

  it("builds Universal Logout's audience from PUBLIC_URL and its keys from the org, unless set", () => {
    const result = parseConfig({ ...minimal, OKTA_ORG_URL: "https://example.okta.com/", PUBLIC_URL: "https://revoker.example.com" });
    expect(result.ok && result.config.universalLogout).toEqual({
      issuer: "https://example.okta.com",
      audience: "https://revoker.example.com/okta/universal-logout",
      jwksUri: "https://example.okta.com/oauth2/v1/keys",
    });
    const explicit = parseConfig({
      ...minimal,
      OKTA_ORG_URL: "https://example.okta.com",
      OKTA_UNIVERSAL_LOGOUT_AUDIENCE: "https://logout.example.com/gtr",
      OKTA_JWKS_URI: "https://example.okta.com/oauth2/default/v1/keys",
    });
    expect(explicit.ok && explicit.config.universalLogout).toMatchObject({
      audience: "https://logout.example.com/gtr",
      jwksUri: "https://example.okta.com/oauth2/default/v1/keys",
    });
  });

  it("leaves Universal Logout off with a note, not a problem, when no audience can be known", () => {
    const result = parseConfig({ ...minimal, OKTA_ORG_URL: "https://example.okta.com" });
    expect(result).toMatchObject({ ok: true, config: { universalLogout: null } });
    expect(result.notes).toEqual([expect.stringMatching(/^OKTA_UNIVERSAL_LOGOUT_AUDIENCE: not set, nor PUBLIC_URL/)]);
  });

  it("turns Entra on with the tenant, the app, one credential and PUBLIC_URL; a certificate wins over a secret", () => {
    const base = { ...minimal, ENTRA_TENANT_ID: TENANT.toUpperCase(), ENTRA_CLIENT_ID: CLIENT, PUBLIC_URL: "https://revoker.example.com" };
    const withSecret = parseConfig({ ...base, ENTRA_CLIENT_SECRET: "s3cret~value" });
    expect(withSecret.ok && withSecret.config.entra).toEqual({
      tenantId: TENANT,
      clientId: CLIENT,
      credential: { kind: "secret", secret: "s3cret~value" },
      loginBaseUrl: "https://login.microsoftonline.com",
      graphBaseUrl: "https://graph.microsoft.com/v1.0",
      notificationUrl: "https://revoker.example.com/webhooks/entra",
      deltaEveryMs: 15 * 60_000,
    });
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----";
    const withCertificate = parseConfig({ ...base, ENTRA_CLIENT_SECRET: "s3cret", ENTRA_CLIENT_CERTIFICATE: pem });
    expect(withCertificate.ok && withCertificate.config.entra?.credential).toEqual({ kind: "certificate", pem });
  });

  it("answers /webhooks/entra 404 while Entra is off, naming what turns it on (the workers project has it off)", async () => {
    const response = await workerFetch("/webhooks/entra?validationToken=probe", { method: "POST" });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/^the entra source is off: set ENTRA_TENANT_ID/);
  });

  it("leaves Entra off with a note naming each missing piece, and refuses a malformed one by name only", () => {
    const result = parseConfig({ ...minimal, ENTRA_TENANT_ID: TENANT });
    expect(result).toMatchObject({ ok: true, config: { entra: null } });
    expect(result.notes).toEqual([
      expect.stringMatching(/^ENTRA_CLIENT_ID: not set/),
      expect.stringMatching(/^ENTRA_CLIENT_SECRET: not set, nor ENTRA_CLIENT_CERTIFICATE/),
      expect.stringMatching(/^PUBLIC_URL: not set, so Entra is off/),
    ]);
    const malformed = parseConfig({ ...minimal, ENTRA_TENANT_ID: "contoso.onmicrosoft.com", ENTRA_CLIENT_CERTIFICATE: "not-a-pem-secret" });
    expect(!malformed.ok && malformed.problems).toEqual([
      expect.stringMatching(/^ENTRA_TENANT_ID: must be a GUID/),
      expect.stringMatching(/^ENTRA_CLIENT_CERTIFICATE: must hold a PKCS#8 private key/),
    ]);
    expect(JSON.stringify(malformed)).not.toContain("not-a-pem-secret");
  });
});
