// `npm run send-event --source <name>` against a real `wrangler dev`: for every source a correctly signed
// sample the Worker accepts and records under that source, as an operator would use it to check a
// configuration before the identity provider is connected. Regression: it spoke only `standard`.
// The Worker runs in DRY_RUN (no Cloudflare API is needed to record a revocation). Every server this
// starts is stopped here, by pid.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startLocalWorker } from "../../scripts/local-worker.mjs";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");
const OPERATOR = "send-event-operator-token";
type Worker = Awaited<ReturnType<typeof startLocalWorker>>;
type Record_ = { id: string; source: string; status: string; email: string | null; assurance: string };

const dir = mkdtempSync(join(tmpdir(), "access-revoker-send-event-"));
let worker: Worker;
let devVars: string;
let jwksPort: number;

beforeAll(async () => {
  jwksPort = await freePort();
  const persistTo = join(dir, "state");
  devVars = `${persistTo}.dev.vars`;
  worker = await startLocalWorker({
    persistTo,
    vars: {
      OPERATOR_TOKEN: OPERATOR,
      ACCESS_ACCOUNT_ID: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
      DRY_RUN: "true",
      WEBHOOK_SECRET_STANDARD: "whsec_c2VuZC1ldmVudCBzdGFuZGFyZCBzZWNyZXQ=",
      WEBHOOK_SECRET_WORKOS: "send-event-workos-secret",
      // Okta's documented form, a space included (developer.okta.com/docs/guides/secure-hooks).
      WEBHOOK_SECRET_OKTA: "Basic c2VuZC1ldmVudDpva3Rh",
      WEBHOOK_SECRET_CLERK: "whsec_c2VuZC1ldmVudCBjbGVyayBzZWNyZXQ=",
      WEBHOOK_SECRET_ZITADEL: "send-event-zitadel-signing-key",
      WEBHOOK_SECRET_KEYCLOAK: "send-event-keycloak-secret",
      WEBHOOK_SECRET_GOOGLE: "send-event google channel token",
      WEBHOOK_SECRET_HMAC: "send-event-hmac-secret",
      // A sender unlike wrangler.toml's default (GitHub's): send-event follows the configuration.
      HMAC_SIGNATURE_HEADER: "X-Signature",
      HMAC_SIGNATURE_PREFIX: "",
      HMAC_ALGORITHM: "SHA-512",
      HMAC_ENCODING: "base64",
      HMAC_TIMESTAMP_HEADER: "X-Timestamp",
      HMAC_EVENT_ID_PATH: "delivery",
      HMAC_EVENT_TYPE_PATH: "action",
      HMAC_EMAIL_PATH: "user.email",
      HMAC_SUBJECT_PATH: "user.id",
      HMAC_DEPROVISION_EVENTS: "user.offboarded",
      SCIM_TOKEN: "send-event-scim-token",
      SSF_TRANSMITTERS: JSON.stringify({
        local: { issuer: `http://127.0.0.1:${jwksPort}`, audience: "send-event-test", jwks_uri: `http://127.0.0.1:${jwksPort}/jwks.json` },
        okta: { issuer: "https://example.okta.com", audience: "send-event-test" },
      }),
      SSF_AUTH_LOCAL: "Bearer send-event-push-token",
    },
  });
});

afterAll(async () => {
  await worker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** send-event from a scratch directory (its Shared Signals key is kept there), reading the checkout's wrangler.toml. */
function sendEvent(args: string[]) {
  return run(
    process.execPath,
    [join(ROOT, "scripts/send-event.mjs"), "--url", worker.url, "--dev-vars", devVars, "--config", join(ROOT, "wrangler.toml"), ...args],
    {
      cwd: dir,
    },
  ).then(
    (done) => ({ code: 0, ...done }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

async function recordsFor(email: string): Promise<Record_[]> {
  const response = await fetch(`${worker.url}/v1/revocations?email=${encodeURIComponent(email)}`, {
    headers: { authorization: `Bearer ${OPERATOR}` },
  });
  return ((await response.json()) as { records: Record_[] }).records;
}

describe("npm run send-event --source", () => {
  it.each([
    ["standard", "standard", "signed", /^202 \{"id":"rev_[0-9a-f]{32}","status":"queued"\}$/m],
    ["workos", "workos", "signed", /^202 /m],
    ["okta", "okta", "static_secret", /^200 /m],
    ["clerk", "clerk", "signed", /^202 /m],
    // user.human.added teaches the email, then user.deactivated names only the user id.
    ["zitadel", "zitadel", "signed", /^200 .*\n202 /],
    ["keycloak", "keycloak", "signed", /^202 /m],
    ["google", "google", "static_secret", /^202 /m],
    ["hmac", "hmac", "signed", /^202 /m],
    ["scim", "scim", "static_secret", /^201 POST \/scim\/v2\/Users\n204 PATCH \/scim\/v2\/Users\/\S+ active: false\n/],
    // Regression (#18): a push is answered with no body, and send-event printed a bare "202".
    ["ssf", "ssf-local", "signed", /^202 POST \/ssf\/local: the SET was accepted\nthe revocation: npm run cli -- status ssf-\S+@example\.com\n$/],
  ])("%s: a sample the Worker accepts and records under its source", async (source, recorded, assurance, answer) => {
    const email = `${source}-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const sent = await sendEvent(["--source", source, ...(source === "ssf" ? ["--transmitter", "local"] : []), email]);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(answer);
    const records = await recordsFor(email);
    expect(records).toEqual([expect.objectContaining({ source: recorded, email, assurance })]);
  });

  it("ssf: refuses to pretend for a transmitter whose keys are not send-event's, and says why", async () => {
    const sent = await sendEvent(["--source", "ssf", "--transmitter", "okta", "x@example.com"]);
    expect(sent.code).toBe(2);
    expect(sent.stderr).toContain('The Worker accepts a SET from "okta" only if it is signed with a key');
    expect(sent.stderr).toContain("send-event cannot sign a SET it would accept");
    expect(sent.stderr).toContain('SSF_TRANSMITTERS={"local":');
    const several = await sendEvent(["--source", "ssf", "x@example.com"]);
    expect(several.code).toBe(2);
    expect(several.stderr).toContain("SSF_TRANSMITTERS names local, okta: pass --transmitter NAME");
  });

  it("a source whose secret is not set: says which variable turns it on; a configuration with problems: lists them", async () => {
    const partial = join(dir, "partial.dev.vars");
    writeFileSync(partial, `OPERATOR_TOKEN=${OPERATOR}\nACCESS_ACCOUNT_ID=eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\nDRY_RUN=true\n`);
    const off = await sendEvent(["--dev-vars", partial, "--source", "workos", "x@example.com"]);
    expect(off.code).toBe(2);
    expect(off.stderr).toContain("WEBHOOK_SECRET_WORKOS is not set in");
    expect(off.stderr).toContain("the workos source is off");
    writeFileSync(partial, "DRY_RUN=true\n");
    const broken = await sendEvent(["--dev-vars", partial, "x@example.com"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("has problems, so it answers 503 until they are fixed");
    expect(broken.stderr).toContain("- OPERATOR_TOKEN:");
  });
});
