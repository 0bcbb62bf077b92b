// End to end: the real `npm start` path (scripts/start.mjs → wrangler dev, wrangler.toml, local KV and
// Durable Objects, the dev-vars file) against a local fake of the Cloudflare API on 127.0.0.1.
// Every server this starts is stopped here, by pid.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDevVars } from "../../scripts/dev-vars.mjs";
import { startFakeCloudflareApi } from "../../scripts/fake-cloudflare-api.mjs";
import { freePort, startLocalWorker } from "../../scripts/local-worker.mjs";

const run = promisify(execFile);
const ACCOUNT = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const ZONE = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const CF_TOKEN = "e2e-cloudflare-token";
const OPERATOR = "e2e-operator-token";

type Worker = Awaited<ReturnType<typeof startLocalWorker>>;
type RevocationRecord = { id: string; status: string; results: { target: string; http_status: number }[] };

const dir = mkdtempSync(join(tmpdir(), "access-revoker-e2e-"));
let cloudflare: Awaited<ReturnType<typeof startFakeCloudflareApi>>;
const workers: Worker[] = [];

beforeAll(async () => {
  cloudflare = await startFakeCloudflareApi({ tokens: [CF_TOKEN] });
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await cloudflare?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm start on a fresh checkout", () => {
  it("creates a dev-vars file with random secrets, serves /healthz in dry-run, and accepts npm run send-event", async () => {
    const devVars = join(dir, "fresh.dev.vars");
    const worker = await startLocalWorker({ devVarsPath: devVars, persistTo: join(dir, "fresh-state") });
    workers.push(worker);
    expect(existsSync(devVars)).toBe(true);
    const created = readFileSync(devVars, "utf8");
    expect(created).toMatch(/^OPERATOR_TOKEN=\S{20,}$/m);
    expect(created).toMatch(/^WEBHOOK_SECRET_STANDARD=whsec_\S+$/m);
    expect(created).toMatch(/^DRY_RUN=true$/m);
    expect(created).toMatch(/^SCIM_TOKEN=\S{20,}$/m);
    // Every secret name of .dev.vars.example is there (blank ones leave their source off), so wrangler's
    // check of the generated types has nothing to complain about.
    for (const name of Object.keys(readDevVars(".dev.vars.example"))) expect(created).toMatch(new RegExp(`^${name}=`, "m"));
    expect(await (await fetch(`${worker.url}/healthz`)).json()).toEqual({ ok: true, dry_run: true });

    const sent = await run(process.execPath, ["scripts/send-event.mjs", "--url", worker.url, "--dev-vars", devVars, "fresh@example.com"]);
    expect(sent.stdout).toMatch(/^202 \{"id":"rev_[0-9a-f]{32}","status":"queued"\}/);

    // The API's own description is valid OpenAPI 3.1 (checked by a validator of the OpenAPI JSON schemas).
    const validator = new Validator();
    const checked = await validator.validate((await (await fetch(`${worker.url}/openapi.json`)).json()) as Record<string, unknown>);
    expect(checked.errors ?? [], JSON.stringify(checked.errors)).toEqual([]);
    expect(checked.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    // A source whose secret is not set says which one turns it on.
    const off = await fetch(`${worker.url}/webhooks/okta`, { method: "POST", body: "{}" });
    expect(off.status).toBe(404);
    expect(((await off.json()) as { error: { message: string } }).error.message).toContain("WEBHOOK_SECRET_OKTA");
    expect(worker.output.join("")).not.toContain("Re-run `wrangler types`");
    await worker.stop();
  });
});

describe("the scripts, used wrongly", () => {
  const fail = (script: string, args: string[]) =>
    run(process.execPath, [script, ...args]).then(
      () => {
        throw new Error(`${script} ${args.join(" ")} succeeded`);
      },
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it("send-event to a Worker that is not running says to run npm start, without a stack trace", async () => {
    const devVars = join(dir, "send.dev.vars");
    writeFileSync(
      devVars,
      `WEBHOOK_SECRET_STANDARD=whsec_ZTJlIHN0YW5kYXJkIHdlYmhvb2tzIHNlY3JldA==\nOPERATOR_TOKEN=${OPERATOR}\nACCESS_ACCOUNT_ID=${ACCOUNT}\nDRY_RUN=true\n`,
    );
    const closed = await freePort();
    const result = await fail("scripts/send-event.mjs", ["--url", `http://127.0.0.1:${closed}`, "--dev-vars", devVars, "x@example.com"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("is `npm start` running?");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  // Regression: the README's `sed -i.bak` left .dev.vars.bak, every secret in it, beside .dev.vars.
  it("npm run dev-vars sets variables in place, leaves no copy behind and keeps the file owner-only", async () => {
    const here = mkdtempSync(join(dir, "dev-vars-"));
    const devVars = join(here, ".dev.vars");
    writeFileSync(devVars, "# local\nOPERATOR_TOKEN=keep-me\nACCESS_API_TOKEN=\nDRY_RUN=true\nACCESS_API_TOKEN=older\n", { mode: 0o600 });
    const set = await run(process.execPath, [
      "scripts/set-dev-vars.mjs",
      "--dev-vars",
      devVars,
      "ACCESS_API_TOKEN=local-fake",
      "DRY_RUN=false",
      "ACCESS_API_BASE_URL=http://127.0.0.1:8788/client/v4",
    ]);
    expect(set.stdout).toBe(`Set ACCESS_API_TOKEN, DRY_RUN, ACCESS_API_BASE_URL in ${devVars}. Restart \`npm start\` to apply.\n`);
    expect(set.stdout).not.toContain("local-fake");
    expect(readFileSync(devVars, "utf8")).toBe(
      "# local\nOPERATOR_TOKEN=keep-me\nACCESS_API_TOKEN=local-fake\nDRY_RUN=false\nACCESS_API_BASE_URL=http://127.0.0.1:8788/client/v4\n",
    );
    expect(readdirSync(here)).toEqual([".dev.vars"]);
    expect(statSync(devVars).mode & 0o777).toBe(0o600);
    const wrong = await fail("scripts/set-dev-vars.mjs", ["--dev-vars", devVars, "lower=case"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("usage: npm run dev-vars -- NAME=value");
  });

  it.skipIf(!existsSync(".git"))("git ignores every .dev.vars* file but the example (a sed backup held every secret)", async () => {
    const ignored = (path: string) =>
      run("git", ["check-ignore", "-q", path]).then(
        () => true,
        () => false,
      );
    for (const path of [".dev.vars", ".dev.vars.bak", ".dev.vars.old"]) expect(await ignored(path), path).toBe(true);
    expect(await ignored(".dev.vars.example")).toBe(false);
  });

  it("send-event without a .dev.vars says how to get one", async () => {
    const result = await fail("scripts/send-event.mjs", ["--dev-vars", join(dir, "missing.dev.vars"), "x@example.com"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("run `npm start` once");
  });

  /** The deploy preflight's environment: no stored `wrangler login` (a fresh HOME) and no Cloudflare credentials. */
  const loggedOut = () => {
    const home = mkdtempSync(join(dir, "home-"));
    return {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: home,
      CLOUDFLARE_API_TOKEN: "",
      CLOUDFLARE_API_KEY: "",
      CF_API_TOKEN: "",
      CF_ACCOUNT_ID: "",
    };
  };
  const deploy = (toml: string, env: NodeJS.ProcessEnv) =>
    run(process.execPath, ["scripts/deploy.mjs", "--config", toml], { env }).then(
      (done) => ({ code: 0, ...done }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it("npm run deploy refuses a configuration that revokes nowhere, and a shell exporting CF_API_TOKEN", async () => {
    const toml = join(dir, "deploy.toml");
    writeFileSync(toml, 'name = "x"\n[vars]\nACCESS_ACCOUNT_ID = ""\nACCESS_ZONE_ID = ""\nDRY_RUN = "true"\n');
    const nowhere = await deploy(toml, loggedOut());
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain("sets no ACCESS_ACCOUNT_ID or ACCESS_ZONE_ID");
    writeFileSync(toml, 'name = "x"\n[vars]\nACCESS_ACCOUNT_ID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"\n');
    const exported = await deploy(toml, { ...loggedOut(), CF_API_TOKEN: "access-only" });
    expect(exported).toMatchObject({ code: 1, stderr: expect.stringContaining("CF_API_TOKEN is set in this shell") });
  });

  // Regression: wrangler.toml shipped DRY_RUN = "false" while the README's first deploy wants "true": a
  // deploy that skipped that step revoked for real once a token was set.
  it("the shipped wrangler.toml deploys in DRY_RUN, and the preflight says so", async () => {
    const shipped = readFileSync("wrangler.toml", "utf8");
    expect(shipped).toMatch(/^DRY_RUN = "true"$/m);
    const toml = join(dir, "shipped.toml");
    writeFileSync(toml, shipped.replace(/^ACCESS_ACCOUNT_ID = ""$/m, 'ACCESS_ACCOUNT_ID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"'));
    // --dry-run: the preflight needs no login, and wrangler stops at once (main is not beside this copy).
    const deployed = await run(process.execPath, ["scripts/deploy.mjs", "--config", toml, "--dry-run"], {
      env: { ...loggedOut(), WRANGLER_SEND_METRICS: "false" },
    }).catch((error: { stdout: string }) => error);
    expect(deployed.stdout).toContain('Deploying with DRY_RUN = "true": nothing is sent to Cloudflare.');
  });

  // Regression: without a login, `wrangler deploy` opened a browser login and waited in a terminal, and
  // elsewhere suggested `--temporary`. The preflight asks `wrangler whoami` and refuses with what to do.
  it("npm run deploy refuses while wrangler is not logged in, and says how to log in; an API token in the environment is a login", async () => {
    const env = loggedOut();
    const toml = join(dir, "login.toml");
    writeFileSync(toml, 'name = "x"\n[vars]\nACCESS_ACCOUNT_ID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"\nDRY_RUN = "true"\n');
    const refused = await deploy(toml, env);
    expect(refused).toMatchObject({ code: 1, stdout: "" });
    expect(refused.stderr).toContain("Not deploying:\n- wrangler is not logged in: log wrangler in with `npx wrangler login`");
    expect(refused.stderr).toContain("set CLOUDFLARE_API_TOKEN");
    expect(refused.stderr).toContain("Not `--temporary`");

    // With CLOUDFLARE_API_TOKEN set the login is no problem: only the configuration's is named.
    writeFileSync(toml, 'name = "x"\n[vars]\nACCESS_ACCOUNT_ID = ""\n');
    const withToken = await deploy(toml, { ...env, CLOUDFLARE_API_TOKEN: "a-deploy-token" });
    expect(withToken).toMatchObject({ code: 1, stderr: expect.stringContaining("sets no ACCESS_ACCOUNT_ID or ACCESS_ZONE_ID") });
    expect(withToken.stderr).not.toContain("logged in");
  });

  it.each([
    ["an unknown option", ["--prot", "9000"], "Unknown option '--prot'"],
    ["a port that is not one", ["--port", "http"], "--port must be a port number"],
  ])("start with %s answers a sentence and the usage", async (_case, args, message) => {
    const result = await fail("scripts/start.mjs", args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("usage: npm start");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("a signed event through wrangler dev to the Cloudflare API", () => {
  let worker: Worker;
  let devVars: string;
  beforeAll(async () => {
    const vars = {
      ACCESS_API_TOKEN: CF_TOKEN,
      OPERATOR_TOKEN: OPERATOR,
      WEBHOOK_SECRET_STANDARD: "whsec_ZTJlIHN0YW5kYXJkIHdlYmhvb2tzIHNlY3JldA==",
      ACCESS_ACCOUNT_ID: ACCOUNT,
      ACCESS_ZONE_ID: ZONE,
      ACCESS_API_BASE_URL: cloudflare.baseUrl,
      DRY_RUN: "false",
      REVOKE_RATE_PER_SECOND: "10",
    };
    devVars = join(dir, "real-state.dev.vars");
    worker = await startLocalWorker({ vars, persistTo: join(dir, "real-state") });
    workers.push(worker);
  });

  it("revokes exactly once per configured target with the right path, query, body and token", async () => {
    // npm start names where revocations go (regression: it said "the Cloudflare API" for the fake too).
    expect(worker.output.join("")).toContain(`DRY_RUN is off: revocations call ${cloudflare.baseUrl} (ACCESS_API_BASE_URL).`);
    const email = "departed@example.com";
    const sent = await run(process.execPath, ["scripts/send-event.mjs", "--url", worker.url, "--dev-vars", devVars, "--uid", "idp-42", email]);
    const { id } = JSON.parse(sent.stdout.slice(4)) as { id: string };

    const auth = { headers: { Authorization: `Bearer ${OPERATOR}` } };
    let record: RevocationRecord | undefined;
    for (let i = 0; i < 100 && record?.status !== "revoked"; i++) {
      record = (await (await fetch(`${worker.url}/v1/revocations/${id}`, auth)).json()) as RevocationRecord;
      if (record.status !== "revoked") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(record?.status).toBe("revoked");
    expect(record?.results.map((result) => [result.target, result.http_status])).toEqual([
      [`accounts/${ACCOUNT}`, 200],
      [`zones/${ZONE}`, 200],
    ]);

    // Paths under the API's base path, /client/v4 (a call outside it would have been answered 404).
    const calls = cloudflare.calls.filter((call) => call.body?.email === email);
    expect(calls.map((call) => call.path).sort()).toEqual([
      `/accounts/${ACCOUNT}/access/organizations/revoke_user`,
      `/zones/${ZONE}/access/organizations/revoke_user`,
    ]);
    for (const call of calls) {
      expect(call.method).toBe("POST");
      expect(call.devices).toBe("true");
      expect(call.body).toEqual({ email, user_uid: "idp-42" });
      expect(call.authorization).toBe(`Bearer ${CF_TOKEN}`);
    }

    const audit = (await (await fetch(`${worker.url}/v1/audit?email=${email}`, auth)).json()) as { entries: { id: string; status: string }[] };
    expect(audit.entries).toEqual([expect.objectContaining({ id, status: "revoked" })]);
  });

  it("refuses a forged delivery with 401 and records nothing", async () => {
    const auth = { headers: { Authorization: `Bearer ${OPERATOR}` } };
    const total = async () =>
      Object.values(((await (await fetch(`${worker.url}/v1/stats`, auth)).json()) as { by_status: Record<string, number> }).by_status).reduce(
        (a, b) => a + b,
        0,
      );
    const before = await total();
    const response = await fetch(`${worker.url}/webhooks/standard`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": "msg_forged",
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": "v1,Zm9yZ2VkIHNpZ25hdHVyZSBmb3IgYSB0ZXN0IG9ubHk=",
      },
      body: JSON.stringify({ type: "user.deprovisioned", data: { email: "victim@example.com" } }),
    });
    expect(response.status).toBe(401);
    // The ledger commits before it answers: a refused delivery has left no record by now.
    expect(await total()).toBe(before);
    const listed = (await (await fetch(`${worker.url}/v1/revocations?email=victim@example.com`, auth)).json()) as { records: unknown[] };
    expect(listed.records).toEqual([]);
  });
});
