// The operator CLI (cli/main.ts, through its bin cli/access-revoker.mjs) as a person runs it: each command is a real child process against one
// real `wrangler dev` (scripts/local-worker.mjs) whose Cloudflare API is the local fake, scripted to break
// chosen calls (faulty-cloudflare.ts). Assertions are on what the person sees (stdout, stderr,
// exit code) and on the --json form. Every server this starts is stopped here, by pid.
// Tests run in order and share the Worker: the hold is caused last, as it stops a target until cleared.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeCloudflareApi } from "../../scripts/fake-cloudflare-api.mjs";
import { freePort, startLocalWorker } from "../../scripts/local-worker.mjs";
import { cliFaults } from "./faulty-cloudflare";

const CLI = join(import.meta.dirname, "../../cli/access-revoker.mjs");
const ACCOUNT = "cccccccccccccccccccccccccccccccc";
const ZONE = "dddddddddddddddddddddddddddddddd";
const CF_TOKEN = "cli-cloudflare-token";
const OPERATOR = "cli-operator-token-0123456789";
const RATE = 20;

type Worker = Awaited<ReturnType<typeof startLocalWorker>>;
type Run = { code: number | null; stdout: string; stderr: string };
type Target = { target: string; state: string; seat: { state: string } | null; verification: { state: string } | null };
type RevocationRecord = { id: string; status: string; email: string; job_id: string | null; reason: string | null; results: Target[] };

const dir = mkdtempSync(join(tmpdir(), "access-revoker-cli-"));
let cloudflare: Awaited<ReturnType<typeof startFakeCloudflareApi>>;
const faults = cliFaults();
let worker: Worker;
let vars: Record<string, string>;
/** A local alert receiver (ALERT_WEBHOOK_URL): answers as Slack does, "ok", or 503 when `receiverDown`. */
let receiver: Server;
const alerts: { headers: Record<string, unknown>; body: { text: string; alert: { kind: string } } }[] = [];
let receiverDown = false;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk) => {
      raw += chunk;
    });
    request.on("end", () => {
      alerts.push({ headers: request.headers, body: JSON.parse(raw) });
      response.writeHead(receiverDown ? 503 : 200).end(receiverDown ? "" : "ok");
    });
  });
  const receiverPort = await freePort();
  await new Promise<void>((resolve) => receiver.listen(receiverPort, "127.0.0.1", resolve));
  cloudflare = await startFakeCloudflareApi({ tokens: [CF_TOKEN] });
  cloudflare.setAnswer(faults.answer);
  vars = {
    ACCESS_API_TOKEN: CF_TOKEN,
    OPERATOR_TOKEN: OPERATOR,
    WEBHOOK_SECRET_STANDARD: "whsec_ZTJlIHN0YW5kYXJkIHdlYmhvb2tzIHNlY3JldA==",
    ACCESS_ACCOUNT_ID: ACCOUNT,
    ACCESS_ZONE_ID: ZONE,
    ACCESS_API_BASE_URL: cloudflare.baseUrl,
    DRY_RUN: "false",
    REVOKE_RATE_PER_SECOND: String(RATE),
    REMOVE_SEATS: "true",
    VERIFY_AFTER_SECONDS: "1",
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${receiverPort}/services/alerts`,
    SOURCE_SILENCE_HOURS: JSON.stringify({ standard: 72 }),
  };
  worker = await startLocalWorker({ vars, persistTo: join(dir, "state") });
});

afterAll(async () => {
  await worker?.stop();
  await cloudflare?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the CLI from an empty folder (no .dev.vars) against the Worker; `exited` resolves when it ends. */
function startCli(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, ACCESS_REVOKER_URL: worker.url, ACCESS_REVOKER_TOKEN: OPERATOR };
  Object.assign(env, options.env);
  for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name];
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<Run>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr) }));
  });
  return { stderr: () => stripVTControlCharacters(stderr), exited };
}

async function cli(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<Run> {
  const run = await startCli(args, options).exited;
  // Whatever happened, the token is never shown.
  expect(run.stdout + run.stderr).not.toContain(OPERATOR);
  return run;
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${worker.url}${path}`, { headers: { authorization: `Bearer ${OPERATOR}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** Polls the API (every 100 ms, up to `timeoutMs`) until `done` holds; answers the last value read. */
async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const revocation = (id: string) => api<RevocationRecord>(`/v1/revocations/${id}`);
/** A job id as the bar shows it: up to 14 characters. */
const shortId = (id: string) => (id.length > 14 ? `${id.slice(0, 13)}…` : id);
const idIn = (text: string) => /rev_[0-9a-f]{32}/.exec(text)?.[0] ?? "";
const lineWith = (text: string, start: string) => text.split("\n").find((line) => line.startsWith(start)) ?? "";

describe("connection", () => {
  it("says the Worker cannot be reached, and how to fix it, with exit code 3", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = await cli(["stats", "--url", closed]);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`error: cannot reach ${closed}: is \`npm start\` running? (or pass --url)\n`);
    expect(run.stdout).toBe("");
  });

  it("says a refused token is refused and where tokens come from, with exit code 1 and without showing it", async () => {
    const run = await cli(["stats", "--token", "a-wrong-token-4242"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "error: the operator token was refused: set ACCESS_REVOKER_TOKEN or --token (npm start writes OPERATOR_TOKEN to .dev.vars)",
    );
    expect(run.stderr + run.stdout).not.toContain("a-wrong-token-4242");
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const json = await cli(["stats", "--json"], { env: { ACCESS_REVOKER_TOKEN: "a-wrong-token-4242" } });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ error: expect.objectContaining({ code: "unauthorized" }) });
  });

  it("takes the first token of OPERATOR_TOKEN in ./.dev.vars when neither flag nor environment gives one", async () => {
    const here = mkdtempSync(join(dir, "checkout-"));
    writeFileSync(join(here, ".dev.vars"), `# local\nWEBHOOK_SECRET_STANDARD=x\nOPERATOR_TOKEN="${OPERATOR}\\nan-older-token"\n`);
    const run = await cli(["stats"], { cwd: here, env: { ACCESS_REVOKER_TOKEN: undefined } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${RATE} calls/s in use`);
  });

  it("asks for a token, with exit code 2, when there is none anywhere", async () => {
    const run = await cli(["stats"], { env: { ACCESS_REVOKER_TOKEN: undefined } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: no operator token: pass --token or set ACCESS_REVOKER_TOKEN");
  });

  it("answers a usage error with exit code 2 and a pointer to --help", async () => {
    const unknown = await cli(["revoke", "someone@example.com", "--reasn", "typo"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--reasn'");
    expect(unknown.stderr).toContain("(access-revoker revoke --help lists its options)");
    // Regression: a subcommand's usage error pointed at the top-level help, which does not list its options.
    const noFrom = await cli(["audit", "export"]);
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr).toBe("error: required option '--from <time>' not specified\n(access-revoker audit export --help lists its options)\n");
    const noCommand = await cli(["revok"]);
    expect(noCommand.stderr).toContain("(access-revoker --help lists its commands)");
    const neither = await cli(["status", "not-an-id"]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('"not-an-id" is neither a revocation id (rev_…) nor an email address');
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("job [options] <job_id>");
  });
});

describe("one person", () => {
  let alice = "";

  it("revoke: revokes on every target and shows the outcome per target", async () => {
    const run = await cli(["revoke", "alice@example.com", "--reason", "left the company"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    alice = idIn(run.stdout);
    expect(run.stdout).toMatch(new RegExp(`^${alice} revoked in \\d`));
    expect(lineWith(run.stdout, "reason")).toContain("left the company");
    expect(lineWith(run.stdout, `accounts/${ACCOUNT}`)).toMatch(/revoked\s+200\s+1\s/);
    expect(lineWith(run.stdout, `zones/${ZONE}`)).toMatch(/revoked\s+200\s+1\s/);
    const calls = cloudflare.calls.filter((call) => call.body?.email === "alice@example.com");
    expect(calls.map((call) => call.devices)).toEqual(["true", "true"]);
  });

  it("revoke --no-devices --warp-reauth --json: sends both choices and prints the API's record", async () => {
    const run = await cli(["revoke", "bob@example.com", "--no-devices", "--warp-reauth", "--json"]);
    expect(run.code).toBe(0);
    const record = JSON.parse(run.stdout) as RevocationRecord & { devices: boolean; warp_session_reauth: boolean };
    expect(record).toMatchObject({ email: "bob@example.com", status: "revoked", devices: false, warp_session_reauth: true });
    const calls = cloudflare.calls.filter((call) => call.body?.email === "bob@example.com");
    expect(calls.map((call) => [call.devices, call.body?.warp_session_reauth])).toEqual([
      ["false", true],
      ["false", true],
    ]);
  });

  it("revoke --idempotency-key: the same key answers the same revocation", async () => {
    const first = await cli(["revoke", "carol@example.com", "--idempotency-key", "offboard-carol"]);
    const again = await cli(["revoke", "carol@example.com", "--idempotency-key", "offboard-carol"]);
    expect(first.code).toBe(0);
    expect(again.code).toBe(0);
    expect(idIn(again.stdout)).toBe(idIn(first.stdout));
    expect(again.stdout).toContain("this Idempotency-Key was used before");
    const other = await cli(["revoke", "dave@example.com", "--idempotency-key", "offboard-carol"]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("error: idempotency_conflict: the Idempotency-Key was already used for a different request");
  });

  it("status <rev_id>: the record with each target's result, seat and verification", async () => {
    // The seat is removed and the sessions checked after the revocation (VERIFY_AFTER_SECONDS=1).
    const settled = await waitFor(
      () => revocation(alice),
      (record) => record.results.every((result) => result.verification?.state !== "pending" && result.seat?.state !== "pending"),
      "alice's seat removal and verification",
    );
    expect(settled.results[0]).toMatchObject({ target: `accounts/${ACCOUNT}`, seat: { state: "removed" }, verification: { state: "verified" } });

    const run = await cli(["status", alice]);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe(`${alice}  revoked`);
    expect(lineWith(run.stdout, "email")).toContain("alice@example.com");
    expect(lineWith(run.stdout, "lane")).toContain("urgent");
    expect(run.stdout).toMatch(/TARGET\s+STATE\s+HTTP\s+ATTEMPTS\s+COMPLETED\s+SEAT\s+VERIFICATION/);
    expect(lineWith(run.stdout, `accounts/${ACCOUNT}`)).toMatch(/revoked\s+200\s+1\s+.+UTC\s+removed\s+verified \(0 sessions\)/);
    expect(lineWith(run.stdout, `zones/${ZONE}`)).toMatch(/revoked\s+200\s+1\s+.+UTC\s+not_applicable\s+not_applicable/);

    const json = await cli(["status", alice, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual(await revocation(alice));
  });

  it("status <email>: that person's revocations; none is said plainly", async () => {
    const run = await cli(["status", "alice@example.com"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ID\s+STATUS\s+EMAIL\s+SOURCE\s+RECEIVED\s+TIME TO REVOKE\s+JOB/);
    expect(lineWith(run.stdout, alice)).toMatch(/revoked\s+alice@example\.com\s+operator\s/);
    const none = await cli(["status", "nobody@example.com"]);
    expect(none.stdout).toBe("no revocations for nobody@example.com\n");
    const json = await cli(["status", "alice@example.com", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual(await api("/v1/revocations?email=alice@example.com"));
  });

  it("status <unknown rev_id>: the API's not_found, exit code 1", async () => {
    const run = await cli(["status", `rev_${"0".repeat(32)}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: not_found: no revocation with that id\n");
  });

  it("retry <rev_id>: re-drives a failed revocation; one that is not failed is refused with the API's reason", async () => {
    const failed = await cli(["revoke", "fail-once@example.com"]);
    expect(failed.code).toBe(0);
    const id = idIn(failed.stdout);
    expect(failed.stdout).toMatch(new RegExp(`^${id} failed`));
    expect(failed.stdout).toContain("injected failure");

    const run = await cli(["retry", id]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${id} requeued (queued); follow it with \`access-revoker status ${id}\`\n`);
    await waitFor(
      () => revocation(id),
      (record) => record.status === "revoked",
      "the retried revocation",
    );

    // Regression: in a checkout `access-revoker` is not on the PATH; started by `npm run cli` the hint says that.
    const failedAgain = idIn((await cli(["revoke", "fail-once-npm@example.com"])).stdout);
    const viaNpm = await cli(["retry", failedAgain], { env: { npm_lifecycle_event: "cli" } });
    expect(viaNpm.stdout).toBe(`${failedAgain} requeued (queued); follow it with \`npm run cli -- status ${failedAgain}\`\n`);

    const again = await cli(["retry", id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("error: not_retryable: only a failed revocation can be retried; this one is revoked\n");
    const neither = await cli(["retry"]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("give either a revocation id (retry rev_…) or --job <job_id>");
  });

  it("list: filters, pages with a cursor hint, --all follows the cursor, --json is the API's page", async () => {
    const total = Object.values((await api<{ by_status: Record<string, number> }>("/v1/stats")).by_status).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(4);

    const revoked = await cli(["list", "--status", "revoked"]);
    expect(revoked.code).toBe(0);
    const rows = revoked.stdout.trim().split("\n").slice(1);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) expect(row).toMatch(/^rev_[0-9a-f]{32}\s+revoked\s/);

    const one = await cli(["list", "--limit", "1"]);
    expect(one.stdout.trim().split("\n")).toHaveLength(3); // header, one record, the hint
    expect(one.stdout).toMatch(/\nmore: --cursor \d+ \(or --all\)\n$/);

    const all = await cli(["list", "--all", "--limit", "2", "--json"]);
    const merged = JSON.parse(all.stdout) as { records: RevocationRecord[]; cursor: null };
    expect(merged.cursor).toBeNull();
    expect(merged.records).toHaveLength(total);
    expect(new Set(merged.records.map((record) => record.id)).size).toBe(total);

    const page = await cli(["list", "--email", "bob@example.com", "--json"]);
    expect(JSON.parse(page.stdout)).toEqual(await api("/v1/revocations?email=bob@example.com"));

    const wrong = await cli(["list", "--status", "revokd"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("Allowed choices are unresolved, queued, revoked");
  });
});

describe("bulk jobs", () => {
  const people = Array.from({ length: 60 }, (_, i) => `leaver-${String(i).padStart(2, "0")}@example.com`);
  let jobId = "";

  it("bulk <file.csv>: uploads the file as it is and answers the job", async () => {
    // CRLF line ends and a quoted reason holding a comma: the server reads the bytes the file has.
    const csv = ["email,user_uid,reason", ...people.map((email, i) => `${email},uid-${i},"restructuring, wave 1 — Zoë's team"`)].join("\r\n");
    writeFileSync(join(dir, "leavers.csv"), `${csv}\r\n`);
    const run = await cli(["bulk", "leavers.csv"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    jobId = /job_[A-Za-z0-9_-]+/.exec(run.stdout)?.[0] ?? "";
    // Regression (#18): the summary was one 94-character line, wrapped at 80 columns.
    expect(run.stdout).toBe(
      `job    ${jobId}\nlines  60 (60 accepted, 0 duplicates, 0 rejected)\nfollow it with:\n  access-revoker job ${jobId} --watch\n`,
    );
    expect(run.stdout.split("\n").filter((line) => line.length >= 80)).toEqual([]);
    // Without --idempotency-key, the key is the file's SHA-256: the job is named after its bytes.
    expect(jobId).toBe(
      `job_sha256-${createHash("sha256")
        .update(readFileSync(join(dir, "leavers.csv")))
        .digest("hex")
        .slice(0, 32)}`,
    );
  });

  it("job <id> --watch: a live bar (done/total, ETA) refreshed every second up to 100 %, then a summary", async () => {
    const run = await cli(["job", jobId, "--watch"]);
    expect(run.code).toBe(0);
    const frames = run.stderr.split("\n").filter((line) => line.startsWith(`${shortId(jobId)} `));
    const done = frames.map((frame) => Number(/ \| (\d+)\/60 \| /.exec(frame)?.[1]));
    // Live: it drew the job part-way, and never went backwards on its way to all 60.
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(done[0]).toBeLessThan(60);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(frames.some((frame) => /[█]+[░]+ \d+(\.\d)?% \| \d+\/60 \| \d+(\.\d)?\/s \| ETA (\d|due)/.test(frame))).toBe(true);
    expect(frames.at(-1)).toMatch(new RegExp(`^${shortId(jobId)} █{30} 100% \\| 60/60 \\| \\d+(\\.\\d)?/s \\| done$`));
    expect(run.stdout.split("\n")[0]).toMatch(new RegExp(`^${jobId}: 60 of 60 done in \\d`));
    expect(lineWith(run.stdout, "by status")).toMatch(/by status\s+revoked 60$/);
    expect(lineWith(run.stdout, "time to revoke")).toMatch(/p50 .+, p95 .+, max .+ \(60\)$/);

    // The bytes were the file's: the quoted reason kept its comma.
    const record = (await api<{ records: RevocationRecord[] }>("/v1/revocations?email=leaver-07@example.com")).records[0];
    expect(record).toMatchObject({ job_id: jobId, reason: "restructuring, wave 1 — Zoë's team", status: "revoked" });
  });

  it("job <id>: the job's view; --json is the API's", async () => {
    const run = await cli(["job", jobId]);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe(`${jobId}  100% done (60/60)`);
    expect(lineWith(run.stdout, "lines")).toMatch(/60 \(60 accepted, 0 duplicates, 0 rejected\)$/);
    expect(lineWith(run.stdout, "by status")).toMatch(/revoked 60$/);
    expect(lineWith(run.stdout, "completed")).toMatch(/UTC$/);
    // Regression (#18): a finished job's rate is over its own duration, and was labelled "over the last minute".
    expect(lineWith(run.stdout, "rate")).toMatch(/^rate\s+\d+(\.\d)? revocations\/s \(over its whole run\)$/);
    const json = await cli(["job", jobId, "--json"]);
    const view = JSON.parse(json.stdout) as { id: string; percent_done: number };
    expect(view).toMatchObject({ id: jobId, percent_done: 100 });
    const unknown = await cli(["job", "job_nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: not_found: no job with that id\n");
  });

  it("bulk <file.ndjson> --watch: shows rejected lines by their line number, then watches to the end", async () => {
    writeFileSync(join(dir, "few.ndjson"), '{"email":"few-1@example.com"}\n{"email":"not an email"}\n{"email":"few-2@example.com"}\n');
    const run = await cli(["bulk", "few.ndjson", "--watch", "--idempotency-key", "few-wave"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual(["job    job_few-wave", "lines  3 (2 accepted, 0 duplicates, 1 rejected)", "rejected lines:"]);
    expect(lines[3]).toMatch(/^ {2}line 2: /);
    expect(lines[4]).toMatch(/^job_few-wave: 2 of 2 done in /);
    expect(run.stderr).toMatch(/^job_few-wave █{30} 100% \| 2\/2 \| \d+(\.\d)?\/s \| done$/m);

    // The same key and bytes again (a file without extension: NDJSON by its content) add nothing.
    writeFileSync(join(dir, "few-again"), '{"email":"few-1@example.com"}\n{"email":"not an email"}\n{"email":"few-2@example.com"}\n');
    const again = await cli(["bulk", "few-again", "--idempotency-key", "few-wave", "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ job_id: "job_few-wave", duplicate: true, accepted: 2, rejected: 1 });
    // The same records with CRLF line ends are other bytes: the key refuses them (the CLI changed nothing).
    writeFileSync(join(dir, "few-crlf.ndjson"), '{"email":"few-1@example.com"}\r\n{"email":"not an email"}\r\n{"email":"few-2@example.com"}\r\n');
    const crlf = await cli(["bulk", "few-crlf.ndjson", "--idempotency-key", "few-wave"]);
    expect(crlf.code).toBe(1);
    expect(crlf.stderr).toMatch(/^error: idempotency_conflict: the Idempotency-Key was used for a different body/);
    const missing = await cli(["bulk", "no-such-file.csv"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("error: cannot read no-such-file.csv: no such file\n");
  });

  it("jobs: newest first with progress; --json is the API's", async () => {
    const run = await cli(["jobs"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ID\s+CREATED\s+LINES\s+ACCEPTED\s+REJECTED\s+DONE\s+PENDING CALLS\s+COMPLETED/);
    const rows = run.stdout.trim().split("\n").slice(1);
    expect(rows[0]).toMatch(/^job_few-wave\s.+ UTC\s+3\s+2\s+1\s+100%\s+\d+\s+.+ UTC$/);
    expect(rows[1]).toMatch(new RegExp(`^${jobId}\\s.+ UTC\\s+60\\s+60\\s+0\\s+100%\\s+\\d+\\s+.+ UTC$`));
    const json = await cli(["jobs", "--json", "--limit", "1"]);
    const page = JSON.parse(json.stdout) as { jobs: { id: string }[]; cursor: string };
    expect(page.jobs.map((job) => job.id)).toEqual(["job_few-wave"]);
    expect(page.cursor).toEqual(expect.any(String));
    const next = await cli(["jobs", "--limit", "1", "--cursor", page.cursor]);
    expect(next.stdout.split("\n")[1]).toMatch(new RegExp(`^${jobId}\\s`));
  });

  it("list --job: that job's revocations", async () => {
    const run = await cli(["list", "--job", "job_few-wave", "--json"]);
    expect(run.code).toBe(0);
    const page = JSON.parse(run.stdout) as { records: RevocationRecord[] };
    expect(page.records.map((record) => record.email).sort()).toEqual(["few-1@example.com", "few-2@example.com"]);
  });

  it("retry --job: re-drives the job's failed revocations", async () => {
    writeFileSync(join(dir, "flaky.csv"), "fail-once-a@example.com\nfail-once-b@example.com\nsteady@example.com\n");
    const submitted = await cli(["bulk", "flaky.csv", "--idempotency-key", "flaky", "--watch"]);
    expect(submitted.stdout).toMatch(/by status\s+(failed 2, revoked 1|revoked 1, failed 2)$/m);
    const run = await cli(["retry", "--job", "job_flaky"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("job_flaky: 2 failed revocations requeued; follow them with `access-revoker job job_flaky --watch`\n");
    const watched = await cli(["job", "job_flaky", "--watch"]);
    expect(watched.stdout).toMatch(/by status\s+revoked 3$/m);
  });

  // Regression: the same CSV sent again without --idempotency-key revoked all 60 again (duplicates 0).
  it("bulk <the same file> again: nothing is added, and it says how to send it as a new job", async () => {
    const calls = () => cloudflare.calls.filter((call) => call.body?.email === "leaver-07@example.com").length;
    const before = calls();
    const again = await cli(["bulk", "leavers.csv"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `${jobId}: already submitted, nothing added\n(the job is named after the file's SHA-256); to revoke everyone in it again:\n  access-revoker bulk leavers.csv --no-idempotency-key\nfollow it with:\n  access-revoker job ${jobId} --watch\n`,
    );
    expect(again.stdout.split("\n").filter((line) => line.length >= 80)).toEqual([]);
    const json = await cli(["bulk", "leavers.csv", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ job_id: jobId, duplicate: true, accepted: 60 });
    expect((await api<{ accepted: number }>(`/v1/jobs/${jobId}`)).accepted).toBe(60);
    expect(calls()).toBe(before);

    // --no-idempotency-key: a new job every time.
    writeFileSync(join(dir, "twice.csv"), "twice@example.com\n");
    const first = /job_[0-9a-f]{32}\b/.exec((await cli(["bulk", "twice.csv", "--no-idempotency-key"])).stdout)?.[0];
    const second = /job_[0-9a-f]{32}\b/.exec((await cli(["bulk", "twice.csv", "--no-idempotency-key"])).stdout)?.[0];
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
  });

  // Regression: `bulk --watch` exited when the Worker restarted for a second.
  it("bulk --watch rides out a Worker that stops answering and comes back", async () => {
    const people = Array.from({ length: 120 }, (_, i) => `restart-${i}@example.com`);
    writeFileSync(join(dir, "restart.csv"), `${people.join("\n")}\n`);
    const watching = startCli(["bulk", "restart.csv", "--watch"]);
    const until = async (pattern: RegExp, what: string) => {
      const deadline = Date.now() + 120_000;
      while (!pattern.test(watching.stderr())) {
        if (Date.now() > deadline) throw new Error(`the bar never showed ${what}:\n${watching.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await until(/ \| \d+\/120 \| .+ \| ETA /, "the job");
    const port = Number(new URL(worker.url).port);
    await worker.kill(); // SIGKILL, mid-drain
    await until(/^waiting: no answer from the Worker for .+ \| \d+\/120 \| /m, "the outage");
    worker = await startLocalWorker({ vars, persistTo: join(dir, "state"), port });
    const watched = await watching.exited;
    expect(watched.stderr).not.toContain("error:");
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/: 120 of 120 done in /);
    expect(lineWith(watched.stdout, "by status")).toMatch(/revoked 120$/);
  });
});

describe("the drain", () => {
  it("stats: pace, lanes with time to revoke, holds, revocations by status; --json is the API's", async () => {
    const run = await cli(["stats"]);
    expect(run.code).toBe(0);
    expect(lineWith(run.stdout, "pace")).toMatch(
      new RegExp(`${RATE} calls/s in use \\(REVOKE_RATE_PER_SECOND=${RATE}\\); \\d+ calls in the last minute$`),
    );
    // One token serves both targets; the fake reports no budget, so it runs at the number, its ceiling.
    expect(run.stdout).toMatch(/TOKEN\s+TARGETS\s+PACE\s+BUDGET REPORTED\s+429s, LAST HOUR/);
    expect(run.stdout.split("\n").find((line) => /^[0-9a-f]{16} /.test(line))).toMatch(
      new RegExp(`^[0-9a-f]{16}\\s+accounts/${ACCOUNT}, zones/${ZONE}\\s+${RATE}/s ceiling\\s+none yet\\s+0$`),
    );
    expect(lineWith(run.stdout, "pending calls")).toMatch(/\d+ \(urgent \d+, bulk \d+, follow-up \d+\)$/);
    expect(lineWith(run.stdout, "paused")).toMatch(/paused\s+no$/);
    expect(lineWith(run.stdout, "revocations")).toMatch(/revoked \d+/);
    expect(lineWith(run.stdout, "seats")).toMatch(/removed \d+/);
    expect(run.stdout).toMatch(/LANE\s+WAITING\s+TIME TO REVOKE, LAST HOUR\s+SINCE START/);
    expect(lineWith(run.stdout, "urgent")).toMatch(/p50 .+ \(\d+\)\s+p50 .+ \(\d+\)$/);
    expect(lineWith(run.stdout, "bulk")).toMatch(/p50 .+ \(\d{2,3}\)\s+p50 .+ \(\d{2,3}\)$/);
    expect(lineWith(run.stdout, "holds")).toBe("holds: none");
    const json = await cli(["stats", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      rate_per_second: RATE,
      rate_setting: RATE,
      budgets: [{ targets: [`accounts/${ACCOUNT}`, `zones/${ZONE}`], pace: { per_second: RATE, why: "ceiling" } }],
      by_status: expect.objectContaining({ revoked: expect.any(Number) }),
    });
  });

  it("sources: one line per configured source with its last deliveries and silence; stats sums them up", async () => {
    const run = await cli(["sources"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^SOURCE\s+LAST ACCEPTED\s+LAST REFUSED\s+SILENT\s+CONNECTION$/m);
    expect(lineWith(run.stdout, "standard")).toMatch(
      /^standard\s+(never|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(.+ ago\))\s+.+\s+no \(threshold 72 h\)\s+–$/,
    );
    const json = await cli(["sources", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ standard: { silence_threshold_hours: 72, silent: false } });
    const stats = await cli(["stats"]);
    expect(lineWith(stats.stdout, "sources")).toMatch(/sources\s+1 configured, none silent or failing$/);
    expect(lineWith(stats.stdout, "alerts")).toMatch(/alerts\s+to 127\.0\.0\.1:\d+: \d+ pending, \d+ sent, \d+ failed, \d+ suppressed/);
  });

  it("alerts test: delivered to ALERT_WEBHOOK_URL (exit 0), or not yet with the receiver's error (exit 1)", async () => {
    const run = await cli(["alerts", "test"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^test alert alrt_[0-9a-f]+ sent to 127\.0\.0\.1:\d+$/m);
    expect(alerts.at(-1)!.body.text).toMatch(/^access-revoker: A test alert/);
    receiverDown = true;
    try {
      const down = await cli(["alerts", "test"]);
      expect(down.code).toBe(1);
      expect(down.stdout).toContain("not delivered yet: it is retried with backoff");
      expect(lineWith(down.stdout, "last error")).toMatch(/last error\s+HTTP 503$/);
    } finally {
      receiverDown = false;
    }
  });

  it("directory import <source> <file>: counts, and each rejected line by its number", async () => {
    writeFileSync(join(dir, "okta.csv"), "subject_id,email\n00u1,erin@example.com\n00u2,not-an-email\n00u3,frank@example.com\n");
    const run = await cli(["directory", "import", "okta", "okta.csv"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("okta: 2 imported, 1 rejected; 0 waiting revocations resolved");
    expect(lines[2]).toMatch(/^ {2}line 3: /);
    const json = await cli(["directory", "import", "okta", "okta.csv", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ imported: 2, rejected: 1, resolved_revocations: 0 });
  });

  it("audit export: the full entries of a time range, NDJSON or CSV, page after page with --all", async () => {
    // A closed range: a follow-up of an earlier job written between two exports would make them differ.
    const range = ["--from", new Date(Date.now() - 3_600_000).toISOString(), "--to", new Date().toISOString()];
    const run = await cli(["audit", "export", ...range, "--all"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const entries = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { key: string; id?: string; email?: string; status?: string });
    expect(entries).toContainEqual(expect.objectContaining({ email: "alice@example.com", status: "revoked", key: expect.any(String) }));

    // Two entries a page: the cursor is shown, and --all reads every page into the same export.
    const first = await cli(["audit", "export", ...range, "--limit", "2"]);
    expect(first.stdout.trim().split("\n").length).toBeLessThanOrEqual(2);
    expect(first.stderr).toMatch(/^more: --cursor \S+ \(or --all\)\n$/);
    const paged = await cli(["audit", "export", ...range, "--limit", "2", "--all"]);
    expect(paged.stdout).toBe(run.stdout);

    const csv = await cli(["audit", "export", ...range, "--format", "csv", "--limit", "2", "--all"]);
    const rows = csv.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^written_at,kind,status,revocation_id,email,/);
    expect(rows.filter((row) => row.startsWith("written_at,"))).toHaveLength(1);
    expect(rows.some((row) => row.includes(",outcome,revoked,") && row.includes(",alice@example.com,"))).toBe(true);
  });

  it("reconcile: a sweep finds a revoked person who signed in again; reconcile status lists them until acknowledge", async () => {
    const revoked = await cli(["revoke", "came-back@example.com"]);
    const id = idIn(revoked.stdout);
    await waitFor(
      () => revocation(id),
      (record) => record.status === "revoked",
      "the revocation",
    );
    // They sign in again after it, as the fake's Access users then show: now, after the revocation ended and
    // before the sweep's own revocation of the return (a login time in the future would make that one a
    // return too, whenever the sweep happens to read the page again).
    cloudflare.changeAccessUser("came-back@example.com", { last_successful_login: new Date().toISOString() });

    const started = await cli(["reconcile"]);
    expect(started.code).toBe(0);
    const sweepId = Number(/^sweep (\d+) started$/m.exec(started.stdout)?.[1]);
    expect(sweepId).toBeGreaterThan(0);
    type Reconcile = { running: unknown; last: { id: number; returns_found: number } | null };
    await waitFor(
      () => api<{ reconcile: Reconcile }>("/v1/stats"),
      (stats) => stats.reconcile.running === null && stats.reconcile.last?.id === sweepId,
      "the sweep to finish",
    );
    const status = await cli(["reconcile", "status"]);
    expect(status.code).toBe(0);
    expect(lineWith(status.stdout, "last")).toMatch(
      new RegExp(`^last\\s+sweep ${sweepId} done \\(operator\\): \\d+ users read, 1 came back, 1 revoked again`),
    );
    expect(status.stdout).toContain("came back, not acknowledged: 1");
    expect(lineWith(status.stdout, id)).toMatch(/came-back@example\.com .* signed in at /);
    expect(lineWith((await cli(["stats"])).stdout, "reconcile")).toMatch(/1 came back, not acknowledged$/);

    const acknowledged = await cli(["acknowledge", id, "--reason", "disabled in Okta, ticket 4711"]);
    expect(acknowledged.code).toBe(0);
    expect(acknowledged.stdout).toMatch(new RegExp(`^${id}: the return at .+ UTC acknowledged: disabled in Okta, ticket 4711\n$`));
    expect((await cli(["reconcile", "status"])).stdout).toContain("came back, not acknowledged: none");
    const again = await cli(["acknowledge", id, "--reason", "twice"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: not_acknowledgeable: this return was acknowledged at /);
  });

  it("report: the period's summary with the chain head; --format csv and html the report itself, json the API's pages", async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const stats = await api<{ audit_chain: { chain_id: string } }>("/v1/stats");
    const run = await cli(["report", "--from", from]);
    expect(run.code).toBe(0);
    expect(lineWith(run.stdout, "audit chain")).toMatch(new RegExp(`^audit chain\\s+${stats.audit_chain.chain_id}, head seq \\d+ [0-9a-f]{64}$`));
    expect(lineWith(run.stdout, "revocations")).toMatch(/^revocations\s+\d+ \(\d+ people\)$/);
    expect(lineWith(run.stdout, "within 300 s")).toMatch(/^within 300 s\s+\d+ of \d+$/);
    expect(lineWith(run.stdout, "came back")).toMatch(/^came back\s+1 \(1 acknowledged, 1 revoked again\)$/);

    const csv = await cli(["report", "--from", from, "--format", "csv", "--threshold", "1m"]);
    const lines = csv.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("# access-revoker offboarding report");
    expect(csv.stdout).toContain("# within 60000 ms: ");
    expect(lines.some((line) => line.includes(",came-back@example.com,"))).toBe(true);
    const rows = lines.filter((line) => !line.startsWith("#")).length - 1;
    expect(lines.at(-1)).toBe(`# end of report: ${rows} rows`);

    const html = await cli(["report", "--from", from, "--format", "html"]);
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).toContain(`End of report: ${rows} rows.`);

    const json = await cli(["report", "--from", from, "--format", "json"]);
    const pages = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { summary: { count: number }; rows: unknown[] });
    expect(pages.flatMap((page) => page.rows)).toHaveLength(rows);
    expect(pages[0]?.summary.count).toBe(rows);
  });

  // Regression (#18): `audit export … --all | head -c 100` crashed with an unhandled "Error: write EPIPE", exit 1.
  it("audit export into a reader that stops early (| head) ends quietly, exit 0", async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const env = { ...process.env, ACCESS_REVOKER_URL: worker.url, ACCESS_REVOKER_TOKEN: OPERATOR };
    const child = spawn(process.execPath, [CLI, "audit", "export", "--from", from, "--limit", "1", "--all"], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    // What head -c 100 does: read once, then close its end of the pipe while pages are still coming.
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  // Last: the hold stops every call to the zone for five minutes, or until it is cleared.
  describe("a target held after Cloudflare refused the token", () => {
    let refused = "";
    beforeAll(async () => {
      const run = await cli(["revoke", "refused@example.com"]);
      expect(run.stdout).toMatch(/^rev_[0-9a-f]{32} failed/);
      expect(lineWith(run.stdout, `zones/${ZONE}`)).toMatch(/failed\s+403\s/);
      refused = idIn(run.stdout);
    });

    it("stats shows the hold with its target and reason", async () => {
      const run = await cli(["stats"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/holds:\nTARGET\s+UNTIL\s+REASON\n/);
      expect(lineWith(run.stdout, `zones/${ZONE}`)).toMatch(/UTC \(in \d+m \d\ds\)\s+Cloudflare refused the API token \(HTTP 403\)/);
    });

    it("holds: the held targets, until when and why; --json is the API's", async () => {
      const run = await cli(["holds"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^TARGET\s+UNTIL\s+REASON\n/);
      expect(lineWith(run.stdout, `zones/${ZONE}`)).toMatch(/UTC \(in \d+m \d\ds\)\s+Cloudflare refused the API token/);
      const json = await cli(["holds", "--json"]);
      expect(JSON.parse(json.stdout)).toEqual({ holds: [expect.objectContaining({ target: `zones/${ZONE}` })] });
    });

    it("job --watch says the job waits on the hold; holds clear <target> lifts it and the bar goes on to 100 %", async () => {
      writeFileSync(join(dir, "held.csv"), "held-1@example.com\nheld-2@example.com\n");
      const submitted = await cli(["bulk", "held.csv", "--idempotency-key", "held-wave"]);
      expect(submitted.code).toBe(0);
      const watching = startCli(["job", "job_held-wave", "--watch"]);
      // The accounts go through; the zone calls wait on the hold, and the bar says so first, with an ETA
      // after the hold's end (regression: it said "ETA 1.0 s" through a 5-minute hold).
      const deadline = Date.now() + 60_000;
      while (!/^waiting: held \dm \d\ds \| job_held-wave .+ \| ETA \dm \d\ds$/m.test(watching.stderr())) {
        if (Date.now() > deadline) throw new Error(`the bar never showed the hold:\n${watching.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const view = await cli(["job", "job_held-wave"]);
      // Regression (#18): "estimated done … (in 1.3 s)" beside "waiting held until … (in 4m 45s)".
      expect(lineWith(view.stdout, "estimated done")).toMatch(/UTC \(in [45]m \d\ds\)$/);
      expect(lineWith(view.stdout, "waiting")).toMatch(
        new RegExp(`waiting\\s+held until .+: the API refused the token for zones/${ZONE} \\(Cloudflare refused the API token`),
      );

      // The token is fixed; lifting the hold re-drives the revocation that met the refusal (regression: it
      // stayed failed until someone ran `retry`, leaving the person unrevoked at the end of the README's tour).
      faults.fixToken();
      const cleared = await cli(["holds", "clear", `zones/${ZONE}`]);
      expect(cleared.code).toBe(0);
      expect(cleared.stdout).toMatch(new RegExp(`^hold on zones/${ZONE} cleared \\(it was held for: Cloudflare refused the API token`));
      expect(cleared.stdout.split("\n")[1]).toBe("its calls go out again; 1 revocation that failed because of it re-queued");
      await waitFor(
        () => revocation(refused),
        (record) => record.status === "revoked",
        "the refused revocation, re-queued by lifting the hold",
      );
      const watched = await watching.exited;
      expect(watched.code).toBe(0);
      expect(watched.stderr).toMatch(/^job_held-wave █{30} 100% \| 2\/2 \| \d+(\.\d)?\/s \| done$/m);
      expect(lineWith(watched.stdout, "by status")).toMatch(/revoked 2$/);
    });

    it("holds clear: a target without a hold is the API's not_found; a malformed target is a usage error", async () => {
      expect((await cli(["holds"])).stdout).toBe("no holds\n");
      const again = await cli(["holds", "clear", `zones/${ZONE}`]);
      expect(again.code).toBe(1);
      expect(again.stderr).toBe(`error: not_found: zones/${ZONE} has no token hold\n`);
      const wrong = await cli(["holds", "clear", "zone-without-kind"]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain("a target is accounts/<id> or zones/<id>");
    });
  });
});
