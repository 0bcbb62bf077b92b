// Running an offboarding (issue #13): jobs listed and re-driven, a job's records by ?job_id=, why a job
// waits, token holds listed and lifted (and audited), and the audit trail exported with full entries.
// The workers project revokes on one account and one zone.
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/crypto/bytes";
import { signHmac } from "../../src/crypto/hmac";
import { sha256Hex } from "../../src/crypto/sha256";
import { TEST_ACCOUNT_ID, TEST_OPERATOR_TOKEN, TEST_ZONE_ID } from "../helpers/bindings";
import { apiError, envelope, useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { fastForwardLedger, ledgerStub, operatorFetch, settleLedger, uniqueEmail } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);

type JobSummary = { id: string; created_at: string; accepted: number; percent_done: number; by_status: Record<string, number> };
type JobView = JobSummary & {
  waiting: { reason: string; message: string; until: string | null } | null;
  rate_per_second: number;
  estimated_completion: string | null;
  completed_at: string | null;
};
type Hold = { target: string; until: string; reason: string };

async function submitJob(emails: string[]): Promise<string> {
  const response = await operatorFetch("/v1/revocations/bulk", { method: "POST", body: emails.join("\n"), headers: { "Content-Type": "text/csv" } });
  expect(response.status).toBe(202);
  return ((await response.json()) as { job_id: string }).job_id;
}

const job = async (id: string) => (await (await operatorFetch(`/v1/jobs/${id}`)).json()) as JobView;

type RevocationView = { status: string; results: { target: string; state: string; http_status: number | null; attempts: number }[] };
const record = async (id: string) => (await (await operatorFetch(`/v1/revocations/${id}`)).json()) as RevocationView;
async function revoke(email: string): Promise<string> {
  const response = await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email }) });
  return ((await response.json()) as { id: string }).id;
}

describe("GET /v1/jobs", () => {
  it("lists jobs newest first, a page at a time", async () => {
    const ids: string[] = [];
    for (const label of ["first", "second", "third"]) ids.push(await submitJob([uniqueEmail(label)]));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (await operatorFetch(`/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ""}`)).json()) as {
        jobs: JobSummary[];
        cursor: string | null;
      };
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.jobs.map((listed) => listed.id));
      cursor = page.cursor;
    } while (cursor);
    const mine = seen.filter((id) => ids.includes(id));
    expect(mine).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("refuses a cursor that is not one", async () => {
    const response = await operatorFetch("/v1/jobs?cursor=yesterday");
    expect(response.status).toBe(400);
  });
});

describe("GET /v1/revocations?job_id=", () => {
  it("lists exactly the job's records", async () => {
    const emails = [uniqueEmail("job-a"), uniqueEmail("job-b")];
    const id = await submitJob(emails);
    await submitJob([uniqueEmail("other-job")]);
    const page = (await (await operatorFetch(`/v1/revocations?job_id=${id}`)).json()) as { records: { email: string; job_id: string }[] };
    expect(page.records.map((record) => record.email).sort()).toEqual([...emails].sort());
    expect(page.records.every((record) => record.job_id === id)).toBe(true);
  });
});

describe("GET /v1/jobs/{id}", () => {
  // Regression (#18): `--watch` ended "60/60 | 2.1/s | done" and the same job later showed 1.4/s, then 0.
  it("gives a finished job the rate over its own duration, which stays what it was", async () => {
    const id = await submitJob(Array.from({ length: 5 }, (_, i) => uniqueEmail(`rate-${i}`)));
    const done = await waitFor(async () => {
      const view = await job(id);
      return view.completed_at !== null && view;
    });
    const took = Math.max(1, (Date.parse(done.completed_at!) - Date.parse(done.created_at)) / 1000);
    expect(done.rate_per_second).toBe(Math.round((5 / took) * 10) / 10);
    await fastForwardLedger(2 * 60_000);
    expect((await job(id)).rate_per_second).toBe(done.rate_per_second);
  });
});

describe("POST /v1/jobs/{id}/retry", () => {
  it("re-drives the job's failed revocations once the cause is fixed", async () => {
    const emails = [uniqueEmail("retry-a"), uniqueEmail("retry-b"), uniqueEmail("retry-c")];
    // A 400 fails a call at once (no retry): the whole job fails.
    fake().setAnswer(() => apiError(400, 12006, "bad request"));
    const id = await submitJob(emails);
    await waitFor(async () => (await job(id)).by_status.failed === 3);
    fake().setAnswer(() => envelope(true));
    const retried = await operatorFetch(`/v1/jobs/${id}/retry`, { method: "POST" });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toEqual({ job_id: id, requeued: 3 });
    await waitFor(async () => (await job(id)).by_status.revoked === 3);
    // Nothing is left to re-drive.
    expect(await (await operatorFetch(`/v1/jobs/${id}/retry`, { method: "POST" })).json()).toEqual({ job_id: id, requeued: 0 });
    // Audited like a lifted hold (issue #19), once: the retry that found nothing changed nothing.
    const actions = await waitFor(async () => {
      const listed = (await (await operatorFetch("/v1/audit?actions=true")).json()) as { entries: { status: string; id: string; detail: string }[] };
      const mine = listed.entries.filter((entry) => entry.status === "job_retried" && entry.id === id);
      return mine.length > 0 && mine;
    });
    expect(actions).toEqual([expect.objectContaining({ detail: expect.stringContaining("3 failed revocation(s) re-queued") })]);
  });

  it("answers 404 for an unknown job", async () => {
    expect((await operatorFetch("/v1/jobs/job_nope/retry", { method: "POST" })).status).toBe(404);
  });
});

describe("token holds", () => {
  const zone = `zones/${TEST_ZONE_ID}`;

  it("are listed, make a job say it waits for them, and lifting one is audited with the token's fingerprint", async () => {
    // The zone's token is refused: the zone holds; the account goes on.
    fake().setAnswer((call) => (call.path.startsWith(`/${zone}`) ? apiError(403, 10000, "Authentication error") : envelope(true)));
    await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email: uniqueEmail("refused") }) });
    const holds = await waitFor(async () => {
      const listed = ((await (await operatorFetch("/v1/holds")).json()) as { holds: Hold[] }).holds;
      return listed.length > 0 && listed;
    });
    expect(holds).toEqual([{ target: zone, until: expect.stringMatching(/Z$/), reason: expect.stringContaining("HTTP 403") }]);

    // A job with calls only on the held zone left says so.
    const id = await submitJob([uniqueEmail("held-job")]);
    const held = await waitFor(async () => {
      const view = await job(id);
      return view.waiting?.reason === "held" && view;
    });
    const waiting = held.waiting!;
    expect(waiting.message).toContain(zone);
    expect(waiting.until).toBe(holds[0]!.until);
    // Regression (#18): the estimate ignored the wait ("estimated done in 1.3 s" beside "held for 4m 45s").
    expect(Date.parse(held.estimated_completion!)).toBeGreaterThan(Date.parse(waiting.until!));

    fake().setAnswer(() => envelope(true));
    const cleared = await operatorFetch(`/v1/holds/zones/${TEST_ZONE_ID}`, { method: "DELETE" });
    expect(cleared.status).toBe(200);
    expect(await cleared.json()).toEqual({ cleared: holds[0], requeued: 1 });
    expect(((await (await operatorFetch("/v1/holds")).json()) as { holds: Hold[] }).holds).toEqual([]);
    await waitFor(async () => (await job(id)).percent_done === 100);

    const action = await waitFor(async () => {
      const listed = (await (await operatorFetch("/v1/audit?actions=true")).json()) as { entries: { status: string; id: string; key: string }[] };
      return listed.entries.find((entry) => entry.status === "hold_cleared" && entry.id === zone);
    });
    const exported = await (
      await operatorFetch(`/v1/audit/export?kind=actions&from=${new Date(Date.now() - 60_000).toISOString()}&to=2100-01-01T00:00:00Z`)
    ).text();
    expect(exported).toContain(action.key);
    // Keyed (token-fingerprint.ts): the ledger's key here, as AUDIT_FINGERPRINT_KEY is unset; never the unkeyed SHA-256.
    const key = await ledgerStub().fingerprintKey();
    const keyed = toHex(await signHmac(utf8(key), "SHA-256", utf8(TEST_OPERATOR_TOKEN))).slice(0, 16);
    expect(exported).toContain(`"token_fingerprint":"${keyed}"`);
    expect(exported).not.toContain((await sha256Hex(utf8(TEST_OPERATOR_TOKEN))).slice(0, 12));
    expect(exported).toContain("1 revocation(s) that failed because of it re-queued");
    expect(exported).not.toContain(TEST_OPERATOR_TOKEN);

    expect((await operatorFetch(`/v1/holds/zones/${TEST_ZONE_ID}`, { method: "DELETE" })).status).toBe(404);
    expect((await operatorFetch(`/v1/holds/accounts/${TEST_ACCOUNT_ID}`, { method: "DELETE" })).status).toBe(404);
  });

  // Regression: lifting a hold let the waiting calls go, but the revocation whose 403 caused it stayed
  // failed until someone ran `retry`: the person was left unrevoked.
  it("lifting a hold re-queues the revocations the refusal failed, and only those", async () => {
    const refused = uniqueEmail("refused-then-fixed");
    const rejected = uniqueEmail("rejected-at-zone");
    // One revocation fails at the zone for a reason of its own (400: no hold); then the token is refused there.
    fake().setAnswer((call) =>
      call.path.startsWith(`/${zone}`) && call.body.email === rejected ? apiError(400, 12006, "bad request") : envelope(true),
    );
    const failedElsewhere = await revoke(rejected);
    await waitFor(async () => (await record(failedElsewhere)).status === "failed");
    fake().setAnswer((call) => (call.path.startsWith(`/${zone}`) ? apiError(403, 10000, "Authentication error") : envelope(true)));
    const id = await revoke(refused);
    await waitFor(async () => (await record(id)).status === "failed");
    expect((await record(id)).results.find((result) => result.target === zone)).toMatchObject({ state: "failed", http_status: 403 });

    fake().setAnswer(() => envelope(true));
    const cleared = await operatorFetch(`/v1/holds/zones/${TEST_ZONE_ID}`, { method: "DELETE" });
    expect(((await cleared.json()) as { requeued: number }).requeued).toBe(1);
    await waitFor(async () => (await record(id)).status === "revoked");
    expect((await record(id)).results.find((result) => result.target === zone)).toMatchObject({ state: "revoked", attempts: 2 });
    expect((await record(failedElsewhere)).status).toBe("failed");
  });

  // Regression (#18): an operator who fixed the token more than 5 minutes after the refusal, with nothing
  // else sent to the target since, was told there was no hold and the person stayed failed.
  it("lifting a hold that ran out with no call there since still re-queues what it failed", async () => {
    fake().setAnswer((call) => (call.path.startsWith(`/${zone}`) ? apiError(403, 10000, "Authentication error") : envelope(true)));
    const id = await revoke(uniqueEmail("refused-then-slow-fix"));
    await waitFor(async () => (await record(id)).status === "failed");
    fake().setAnswer(() => envelope(true));
    await fastForwardLedger();
    expect(((await (await operatorFetch("/v1/holds")).json()) as { holds: Hold[] }).holds).toEqual([]);
    const cleared = await operatorFetch(`/v1/holds/zones/${TEST_ZONE_ID}`, { method: "DELETE" });
    expect(cleared.status).toBe(200);
    expect(((await cleared.json()) as { requeued: number }).requeued).toBe(1);
    await waitFor(async () => (await record(id)).status === "revoked");
    expect((await operatorFetch(`/v1/holds/zones/${TEST_ZONE_ID}`, { method: "DELETE" })).status).toBe(404);
  });

  it("a hold that ran out re-queues them once the API takes the token at the target again", async () => {
    fake().setAnswer((call) => (call.path.startsWith(`/${zone}`) ? apiError(403, 10000, "Authentication error") : envelope(true)));
    const id = await revoke(uniqueEmail("refused-then-outlived"));
    await waitFor(async () => (await record(id)).status === "failed");
    // A job (answered at once, unlike POST /v1/revocations, which waits for the outcome) waits on the hold.
    const waiting = await submitJob([uniqueEmail("waiting-on-hold")]);
    fake().setAnswer(() => envelope(true));
    // Past the hold's 5 minutes, the waiting zone call goes out and succeeds: the hold is over.
    await fastForwardLedger();
    await waitFor(async () => (await job(waiting)).by_status.revoked === 1);
    await waitFor(async () => (await record(id)).status === "revoked");
    expect(((await (await operatorFetch("/v1/holds")).json()) as { holds: Hold[] }).holds).toEqual([]);
  });
});

describe("GET /v1/audit/export", () => {
  // The ledger writes audit entries on its own clock, which these tests step ahead of the Worker's: ranges end far ahead.
  const TO = "2100-01-01T00:00:00Z";
  async function revokedAndAudited(email: string, reason = "export, with a comma"): Promise<string> {
    const record = (await (await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email, reason }) })).json()) as {
      id: string;
    };
    await waitFor(async () => {
      const entries = ((await (await operatorFetch(`/v1/audit?email=${encodeURIComponent(email)}`)).json()) as { entries: unknown[] }).entries;
      return entries.length > 0;
    });
    return record.id;
  }

  it("answers full entries in the range as NDJSON, and as CSV with one row per outcome", async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const email = uniqueEmail("export");
    const id = await revokedAndAudited(email);
    const ndjson = await operatorFetch(`/v1/audit/export?from=${from}&to=${TO}`);
    expect(ndjson.headers.get("Content-Type")).toBe("application/x-ndjson");
    const lines = (await ndjson.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { key: string; id: string; email: string; results: unknown[] });
    const mine = lines.find((line) => line.id === id)!;
    expect(mine).toMatchObject({ email, key: expect.stringMatching(new RegExp(`^outcome:\\d{13}:${id}:revoked$`)) });
    expect(mine.results).toHaveLength(2);

    const csv = await (await operatorFetch(`/v1/audit/export?from=${from}&to=${TO}&format=csv`)).text();
    const [header, ...rows] = csv.trim().split("\n");
    expect(header).toBe(
      "written_at,kind,status,revocation_id,email,source,event_type,reason,job_id,targets,received_at,completed_at,time_to_revoke_ms,verification,last_error,detail,key,seq,prev_hash,hash",
    );
    const row = rows.find((candidate) => candidate.includes(id))!;
    expect(row).toContain(`revoked,${id},${email},operator,operator.revoke,"export, with a comma"`);
    // Each row ends with its entry's place in the audit chain (issue #23), as the NDJSON line has it.
    const chained = mine as unknown as { seq: number; prev_hash: string; hash: string };
    expect(row.endsWith(`,${chained.seq},${chained.prev_hash},${chained.hash}`)).toBe(true);
  });

  // Regression (security): reasons and emails are the senders' text, and a CSV cell starting with = + - @
  // is a formula to a spreadsheet (OWASP: CSV injection). The CSV neutralises it; the NDJSON stays raw.
  it("writes no CSV cell a spreadsheet would run as a formula, and keeps the NDJSON as sent", async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const tag = crypto.randomUUID().slice(0, 8);
    const formula = `=HYPERLINK("https://evil.example/${tag}","click")`;
    const ids = [
      await revokedAndAudited(`+1+1${tag}@example.com`, formula),
      await revokedAndAudited(`-2-3${tag}@example.com`, "@SUM(1+1)"),
      await revokedAndAudited(`tab${tag}@example.com`, "\t=1+1"),
    ];
    const csv = await (await operatorFetch(`/v1/audit/export?from=${from}&to=${TO}&format=csv`)).text();
    const rows = ids.map((id) => csv.split("\n").find((row) => row.includes(id))!);
    expect(rows[0]).toContain(`,'+1+1${tag}@example.com,operator,operator.revoke,"'=HYPERLINK(""https://evil.example/${tag}"",""click"")",`);
    expect(rows[1]).toContain(`,'-2-3${tag}@example.com,operator,operator.revoke,'@SUM(1+1),`);
    expect(rows[2]).toContain(`,tab${tag}@example.com,operator,operator.revoke,'\t=1+1,`);
    // No cell of the whole export starts a formula (d3-dsv quotes a cell only for , " or a line break).
    for (const row of csv.trim().split("\n")) {
      for (const cell of row.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) expect(cell.replace(/^"/, "")).not.toMatch(/^[=+\-@\t\r]/);
    }
    const ndjson = await (await operatorFetch(`/v1/audit/export?from=${from}&to=${TO}`)).text();
    const entries = ndjson
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string; email: string; reason: string });
    expect(entries.find((entry) => entry.id === ids[0])).toMatchObject({ email: `+1+1${tag}@example.com`, reason: formula });
    expect(entries.find((entry) => entry.id === ids[1])).toMatchObject({ email: `-2-3${tag}@example.com`, reason: "@SUM(1+1)" });
  });

  it("answers nothing for a range that ends before the entry, and pages with X-Next-Cursor", async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    await revokedAndAudited(uniqueEmail("page-a"));
    await revokedAndAudited(uniqueEmail("page-b"));
    const empty = await operatorFetch(`/v1/audit/export?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`);
    expect(await empty.text()).toBe("");
    const first = await operatorFetch(`/v1/audit/export?from=${before}&to=${TO}&limit=1`);
    const cursor = first.headers.get("X-Next-Cursor");
    expect(cursor).toBeTruthy();
    const second = await operatorFetch(`/v1/audit/export?from=${before}&to=${TO}&limit=1&cursor=${encodeURIComponent(cursor!)}`);
    const [a, b] = [(await first.text()).trim(), (await second.text()).trim()];
    expect(a.split("\n")).toHaveLength(1);
    expect(b.split("\n")).toHaveLength(1);
    expect(a).not.toBe(b);
  });

  it("refuses a time that is not one, and a range that ends before it starts", async () => {
    expect((await operatorFetch("/v1/audit/export?from=yesterday")).status).toBe(400);
    expect((await operatorFetch("/v1/audit/export?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")).status).toBe(400);
  });
});
