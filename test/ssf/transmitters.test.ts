// SSF_TRANSMITTERS parsing: defaults, the URL and algorithm rules, and problems that never echo a value.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { CAEP_CREDENTIAL_CHANGE, CAEP_SESSION_REVOKED, RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_PURGED } from "../../src/domain/ssf/event-types";
import { parseSsfTransmitters, SSF_ALGORITHMS, ssfAuthSecretVariable } from "../../src/domain/ssf/transmitters";
import { isDirectorySource, ssfSourceName } from "../../src/sources/registry";
import { TEST_BINDINGS } from "../helpers/bindings";

const okta = { issuer: "https://example.okta.com", audience: "https://revoker.example.com/ssf/okta" };

function parse(value: unknown) {
  return parseSsfTransmitters(JSON.stringify(value));
}

function problems(value: unknown): string[] {
  const result = typeof value === "string" ? parseSsfTransmitters(value) : parse(value);
  if (result.ok) throw new Error("expected problems");
  return result.problems;
}

describe("parseSsfTransmitters", () => {
  it.each([undefined, "", "  \n"])("treats %j as no transmitters", (raw) => {
    expect(parseSsfTransmitters(raw)).toEqual({ ok: true, transmitters: new Map() });
  });

  it("applies the documented defaults", () => {
    expect(parse({ okta })).toEqual({
      ok: true,
      transmitters: new Map([
        [
          "okta",
          {
            issuer: "https://example.okta.com",
            audiences: ["https://revoker.example.com/ssf/okta"],
            jwksUri: null,
            events: [RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_PURGED, CAEP_SESSION_REVOKED],
            algorithms: [...SSF_ALGORITHMS],
            jwksMinRefreshMs: 60_000,
            poll: null,
            push: true,
            manage: null,
          },
        ],
      ]),
    });
  });

  it("reads every option", () => {
    const result = parse({
      "acme_idp-2": {
        issuer: "https://idp.example.com/tenant-7/",
        audience: ["a", "b", "a"],
        jwks_uri: "https://idp.example.com/keys",
        events: [CAEP_SESSION_REVOKED],
        credential_change: true,
        algorithms: ["ES256", "EdDSA"],
        jwks_min_refresh_seconds: 300,
        poll: { endpoint: "https://idp.example.com/ssf/poll/s-1", max_events: 50 },
      },
    });
    expect(result.ok && result.transmitters.get("acme_idp-2")).toEqual({
      issuer: "https://idp.example.com/tenant-7/",
      audiences: ["a", "b"],
      jwksUri: "https://idp.example.com/keys",
      events: [CAEP_SESSION_REVOKED, CAEP_CREDENTIAL_CHANGE],
      algorithms: ["ES256", "EdDSA"],
      jwksMinRefreshMs: 300_000,
      poll: { endpoint: "https://idp.example.com/ssf/poll/s-1", maxEvents: 50, oauth: null },
      push: false,
      manage: null,
    });
  });

  it("reads a manage block (issue #20): a bearer, or OAuth client credentials by secret or private_key_jwt", () => {
    const bearer = parse({ okta: { ...okta, manage: { bearer: true } } });
    expect(bearer.ok && bearer.transmitters.get("okta")?.manage).toEqual({
      credentials: { kind: "bearer" },
      verifyEveryMs: 3_600_000,
      events: [RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_PURGED, CAEP_SESSION_REVOKED],
    });
    const manage = {
      token_endpoint: "https://example.okta.com/oauth2/v1/token",
      client_id: "0oa1",
      scope: "ssf.manage ssf.read",
      auth: "private_key_jwt",
      kid: "k1",
      verify_every_seconds: 900,
      events: [CAEP_SESSION_REVOKED],
    };
    const oauth = parse({ okta: { ...okta, manage } });
    expect(oauth.ok && oauth.transmitters.get("okta")?.manage).toEqual({
      credentials: {
        kind: "oauth",
        tokenEndpoint: manage.token_endpoint,
        clientId: "0oa1",
        scope: "ssf.manage ssf.read",
        auth: "private_key_jwt",
        kid: "k1",
      },
      verifyEveryMs: 900_000,
      events: [CAEP_SESSION_REVOKED],
    });
  });

  it.each([
    ["neither bearer nor OAuth", {}],
    ["both", { bearer: true, token_endpoint: "https://example.okta.com/token", client_id: "c", auth: "client_secret_basic" }],
    ["OAuth without auth", { token_endpoint: "https://example.okta.com/token", client_id: "c" }],
    ["an unknown auth", { token_endpoint: "https://example.okta.com/token", client_id: "c", auth: "tls_client_auth" }],
    ["kid with a client secret", { token_endpoint: "https://example.okta.com/token", client_id: "c", auth: "client_secret_basic", kid: "k" }],
    ["verification every minute", { bearer: true, verify_every_seconds: 60 }],
    ["a misspelt option", { bearer: true, verify_every: 600 }],
  ])("refuses a manage block with %s", (_name, manage) => {
    const result = parse({ okta: { ...okta, manage } });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.join("\n")).toContain("okta.manage");
  });

  it.each([
    ["without poll: pushes, as before", {}, true],
    ["with poll: does not push (a stream has one delivery method)", { poll: { endpoint: "https://example.okta.com/poll" } }, false],
    ["with poll and push true: both", { poll: { endpoint: "https://example.okta.com/poll" }, push: true }, true],
    ["push true alone", { push: true }, true],
  ])("push %s (issue #18)", (_name, entry, push) => {
    const result = parse({ okta: { ...okta, ...entry } });
    expect(result.ok && result.transmitters.get("okta")?.push).toBe(push);
  });

  it("reads the OAuth client credentials of a poll endpoint", () => {
    const poll = { endpoint: "https://kc.example.com/poll", token_endpoint: "https://kc.example.com/token", client_id: "revoker", scope: "ssf" };
    const result = parse({ okta: { ...okta, poll } });
    expect(result.ok && result.transmitters.get("okta")?.poll).toEqual({
      endpoint: "https://kc.example.com/poll",
      maxEvents: 20,
      oauth: { tokenEndpoint: "https://kc.example.com/token", clientId: "revoker", scope: "ssf" },
    });
  });

  it("polls nobody unless asked, and 20 SETs a request by default", () => {
    const pushed = parse({ okta });
    expect(pushed.ok && pushed.transmitters.get("okta")?.poll).toBeNull();
    const polled = parse({ okta: { ...okta, poll: { endpoint: "https://example.okta.com/poll" } } });
    expect(polled.ok && polled.transmitters.get("okta")?.poll).toEqual({ endpoint: "https://example.okta.com/poll", maxEvents: 20, oauth: null });
  });

  it("credential_change adds CAEP credential-change to the defaults", () => {
    const result = parse({ okta: { ...okta, credential_change: true } });
    expect(result.ok && result.transmitters.get("okta")?.events).toEqual([
      RISC_ACCOUNT_DISABLED,
      RISC_ACCOUNT_PURGED,
      CAEP_SESSION_REVOKED,
      CAEP_CREDENTIAL_CHANGE,
    ]);
  });

  it.each(["http://localhost:8788/t", "http://127.0.0.1/"])("allows plain http only for this machine: %s", (issuer) => {
    expect(parse({ local: { ...okta, issuer } }).ok).toBe(true);
  });

  it.each([
    ["http elsewhere", { issuer: "http://example.okta.com" }, "okta.issuer"],
    ["an issuer with a query", { issuer: "https://example.okta.com/?tenant=1" }, "okta.issuer"],
    ["an issuer with a fragment", { issuer: "https://example.okta.com/#x" }, "okta.issuer"],
    ["an issuer that is not a URL", { issuer: "example.okta.com" }, "okta.issuer"],
    ["a missing issuer", { issuer: undefined }, "okta.issuer"],
    ["an http jwks_uri", { jwks_uri: "http://example.okta.com/keys" }, "okta.jwks_uri"],
    ["an http poll endpoint", { poll: { endpoint: "http://example.okta.com/poll" } }, "okta.poll.endpoint"],
    ["poll without an endpoint", { poll: {} }, "okta.poll.endpoint"],
    ["poll max_events over 100", { poll: { endpoint: "https://example.okta.com/poll", max_events: 101 } }, "okta.poll.max_events"],
    ["a misspelt poll option", { poll: { endpoint: "https://example.okta.com/poll", maxEvents: 5 } }, "okta.poll"],
    [
      "a token_endpoint without client_id",
      { poll: { endpoint: "https://example.okta.com/poll", token_endpoint: "https://example.okta.com/t" } },
      "okta.poll",
    ],
    ["a client_id without token_endpoint", { poll: { endpoint: "https://example.okta.com/poll", client_id: "revoker" } }, "okta.poll"],
    ["a scope without token_endpoint", { poll: { endpoint: "https://example.okta.com/poll", scope: "ssf" } }, "okta.poll"],
    [
      "an http token_endpoint",
      { poll: { endpoint: "https://example.okta.com/poll", token_endpoint: "http://example.okta.com/t", client_id: "r" } },
      "okta.poll.token_endpoint",
    ],
    ["an empty audience", { audience: "" }, "okta.audience"],
    ["an empty audience list", { audience: [] }, "okta.audience"],
    ["an event type that is not a URI", { events: ["session-revoked"] }, "okta.events.0"],
    ["an empty event list", { events: [] }, "okta.events"],
    ["credential_change as a string", { credential_change: "yes" }, "okta.credential_change"],
    ["push false without poll (it would deliver nothing)", { push: false }, "okta: push false needs poll"],
    ["push as a string", { push: "no" }, "okta.push"],
    ["HS256", { algorithms: ["RS256", "HS256"] }, "okta.algorithms.1"],
    ["none", { algorithms: ["none"] }, "okta.algorithms.0"],
    ["no algorithm at all", { algorithms: [] }, "okta.algorithms"],
    ["a misspelt option", { audiences: ["x"] }, "okta"],
    ["a refresh interval of 0", { jwks_min_refresh_seconds: 0 }, "okta.jwks_min_refresh_seconds"],
    ["a refresh interval of a fraction", { jwks_min_refresh_seconds: 1.5 }, "okta.jwks_min_refresh_seconds"],
  ])("refuses %s, naming where", (_name, change, where) => {
    expect(problems({ okta: { ...okta, ...change } })).toContainEqual(
      expect.stringMatching(new RegExp(`^SSF_TRANSMITTERS: ${where.replace(/\./g, "\\.")}\\b`)),
    );
  });

  it("names a misspelt option", () => {
    expect(problems({ okta: { ...okta, audiences: ["x"] } })).toEqual(['SSF_TRANSMITTERS: okta: Unrecognized key: "audiences"']);
  });

  it.each([
    ["not JSON", "{okta: 1", "SSF_TRANSMITTERS: is not valid JSON"],
    ["a list", "[]", "SSF_TRANSMITTERS: must be a JSON object keyed by transmitter name"],
    ["a string", '"okta"', "SSF_TRANSMITTERS: must be a JSON object keyed by transmitter name"],
  ])("refuses %s", (_name, raw, problem) => {
    expect(problems(raw)).toEqual([problem]);
  });

  it.each(["Okta", "okta prod", "x".repeat(29), ""])("refuses the transmitter name %j without repeating it", (name) => {
    const found = problems({ [name]: okta });
    expect(found).toEqual(["SSF_TRANSMITTERS: transmitter #1: its name must be 1–28 characters of a-z, 0-9, _ and -"]);
  });

  it("refuses two names that would share one secret variable", () => {
    expect(problems({ "a-b": okta, a_b: okta })).toEqual(["SSF_TRANSMITTERS: a-b and a_b would share the secret SSF_AUTH_A_B"]);
  });

  it("never echoes a configured value in a problem", () => {
    const secretish = "hunter2-do-not-print";
    const found = problems(
      `{"okta": {"issuer": "https://user:${secretish}@example.okta.com", "audience": 7, "jwks_uri": "${secretish}", "algorithms": ["${secretish}"]}}`,
    );
    expect(found.length).toBeGreaterThanOrEqual(4);
    expect(found.join("\n")).not.toContain(secretish);
    expect(problems(`{"okta": ${secretish}}`).join("\n")).not.toContain(secretish);
  });
});

describe("the push credential's secret", () => {
  it.each([
    ["okta", "SSF_AUTH_OKTA"],
    ["okta-prod", "SSF_AUTH_OKTA_PROD"],
    ["a_b-c", "SSF_AUTH_A_B_C"],
  ])("%s → %s", (name, variable) => {
    expect(ssfAuthSecretVariable(name)).toBe(variable);
  });
});

describe("SSF_TRANSMITTERS in the Worker's configuration (config/, /healthz)", () => {
  it("lists its problems by variable name, with every other variable's", () => {
    const result = parseConfig({
      ...TEST_BINDINGS,
      SSF_TRANSMITTERS: JSON.stringify({ okta: { ...okta, issuer: "http://example.okta.com" }, "Not A Name": okta }),
      OPERATOR_TOKEN: "",
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toContain("SSF_TRANSMITTERS: transmitter #2: its name must be 1–28 characters of a-z, 0-9, _ and -");
    expect(problems).toContainEqual(expect.stringMatching(/^SSF_TRANSMITTERS: okta\.issuer: must be an https URL/));
    expect(problems).toContain("OPERATOR_TOKEN: required");
  });

  it("is off when blank, and reads the test bindings' four transmitters", () => {
    const blank = parseConfig({ ...TEST_BINDINGS, SSF_TRANSMITTERS: "" });
    expect(blank.ok && [...blank.config.ssfTransmitters.keys()]).toEqual([]);
    const configured = parseConfig(TEST_BINDINGS);
    expect(configured.ok && [...configured.config.ssfTransmitters.keys()]).toEqual(["acme", "acme-cc", "guarded", "polled"]);
  });
});

describe("a transmitter's source (sources/registry.ts)", () => {
  it.each(["a", "acme_idp-2", "x".repeat(28)])("%s: every name SSF_TRANSMITTERS accepts is a source the directory holds", (name) => {
    expect(parse({ [name]: okta }).ok).toBe(true);
    expect(isDirectorySource(ssfSourceName(name))).toBe(true);
  });

  it.each(["x".repeat(29), "Okta"])("%s: a name it refuses is not", (name) => {
    expect(parse({ [name]: okta }).ok).toBe(false);
    expect(isDirectorySource(ssfSourceName(name))).toBe(false);
  });
});
