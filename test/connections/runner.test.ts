// The Cron Trigger's runner of managed connections (src/connections/runner.ts) and the ledger's record of them
// (src/ledger/connections/), proven with a kind that exists only here (test/helpers/fake-connection.ts):
// what a run answers is what /healthz, the audit log and the next run see; a connection that fails, throws,
// hangs, spends its calls or answers garbage is recorded as failing and costs the others nothing.
import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectionBudgetSpent } from "../../src/connections/bounded-fetch";
import { installConnectionDeps } from "../../src/connections/deps";
import { maintainConnections } from "../../src/connections/runner";
import worker from "../../src/index";
import { connectionViews } from "../../src/ledger/connections/record";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { FakeConnectionKind, fails, hangs, succeeds, throws } from "../helpers/fake-connection";
import { auditWritten, ledgerStub, operatorFetch, settleLedger, workerFetch } from "../helpers/worker";

const unique = (label: string) => `${label}-${crypto.randomUUID().slice(0, 6)}`;

// The Cron's other steps run too (a polled SSF transmitter among them): nothing but the API answers here.
const cloudflare = useFakeCloudflare(settleLedger);
beforeEach(() => cloudflare().serveOtherOrigins(async () => new Response("not here", { status: 404 })));
afterEach(() => installConnectionDeps(null));

async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function operatorNotes(): Promise<string[]> {
  const health = (await (await operatorFetch("/healthz")).json()) as { notes?: string[] };
  return health.notes ?? [];
}

async function connectionAudit(name: string): Promise<{ status: string; detail: string }[]> {
  await auditWritten();
  const listing = (await (await operatorFetch("/v1/audit?connections=true&limit=1000")).json()) as {
    entries: { source: string; status: string; detail: string }[];
  };
  return listing.entries.filter((entry) => entry.source === name).map(({ status, detail }) => ({ status, detail }));
}

/** The row the ledger keeps for a connection, state included (what no view shows). */
async function storedRow(name: string) {
  return runInDurableObject(ledgerStub(), async (_instance, state) => {
    return state.storage.sql.exec("SELECT * FROM managed_connections WHERE name = ?", name).toArray()[0] as Record<string, unknown> | undefined;
  });
}

describe("a managed connection's runs, through the Cron Trigger", () => {
  let fake: FakeConnectionKind;
  let name: string;
  beforeEach(() => {
    name = unique("fake");
    fake = new FakeConnectionKind([name]);
    installConnectionDeps({ kinds: [fake.kind] });
  });

  it("hands the next run the state the last one kept, records proof of life, and audits what it created", async () => {
    fake.set(
      name,
      succeeds({
        proof: "channel answered its sync message",
        changes: [{ change: "created", detail: "channel ch-1 created, expires in 6 h" }],
        state: { channel: "ch-1", token: "channel-token-never-shown" },
      }),
    );
    await runCron();
    fake.set(name, () => ({ verdict: "idle" }));
    await runCron();

    expect(fake.runsOf(name).map((run) => run.state)).toEqual([null, { channel: "ch-1", token: "channel-token-never-shown" }]);
    expect(await storedRow(name)).toMatchObject({
      kind: "test-channel",
      status: "ok",
      last_proof: "channel answered its sync message",
      created_at: expect.any(Number),
      last_proof_at: expect.any(Number),
    });
    expect(await connectionAudit(name)).toEqual([{ status: "created", detail: "channel ch-1 created, expires in 6 h" }]);
    const exported = await (await operatorFetch(`/v1/audit/export?kind=connections&from=${new Date(Date.now() - 60_000).toISOString()}`)).text();
    expect(exported).toContain(name);
    expect(exported).not.toContain("channel-token-never-shown");
    expect(JSON.stringify(await operatorNotes())).not.toContain(name);
    // /v1/stats shows it under its source's name, without its state.
    const stats = await (await operatorFetch("/v1/stats")).text();
    expect(stats).not.toContain("channel-token-never-shown");
    expect((JSON.parse(stats) as { sources: Record<string, unknown> }).sources[name]).toEqual({
      last_accepted_at: null,
      last_refused_at: null,
      silence_threshold_hours: null,
      silent: false,
      silent_since: null,
      connection: {
        kind: "test-channel",
        status: "ok",
        last_proof_at: expect.any(String),
        last_proof: "channel answered its sync message",
        last_error: null,
        last_error_at: null,
        failing_since: null,
        last_run_at: expect.any(String),
        created_at: expect.any(String),
        renewed_at: null,
        repaired_at: null,
      },
    });
  });

  it("notes a failing connection in /healthz within one run, audits failing once, then recovered", async () => {
    fake.set(name, fails("the token endpoint answered HTTP 401 (invalid_client): check the client secret."));
    await runCron();
    // The error's own final period is not doubled before the runbook link ("secret.; see" in the trial).
    expect(await operatorNotes()).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^managed connection ${name} \\(test-channel\\) failing since .*: the token endpoint answered HTTP 401 .*check the client secret; see docs/operations.md#a-managed-connection-is-failing$`,
        ),
      ),
    );
    const stats = (await (await operatorFetch("/v1/stats")).json()) as { sources: Record<string, { connection: Record<string, unknown> }> };
    expect(stats.sources[name]!.connection).toMatchObject({
      status: "failing",
      failing_since: expect.any(String),
      last_error: expect.stringContaining("HTTP 401"),
    });
    // Failing again is not a new change: one audit entry, one alert, however long it lasts.
    await runCron();
    expect((await storedRow(name))?.consecutive_failures).toBe(2);
    fake.set(name, succeeds({ proof: "verification round trip in 800 ms" }));
    await runCron();

    expect(JSON.stringify(await operatorNotes())).not.toContain(name);
    const audit = await connectionAudit(name);
    expect(audit.map((entry) => entry.status)).toEqual(["recovered", "failing"]);
    expect(audit[0]!.detail).toMatch(/^working again \(failing since .*\): verification round trip in 800 ms$/);
    expect(await storedRow(name)).toMatchObject({ status: "ok", failing_since: null, last_error: expect.stringContaining("HTTP 401") });
  });

  it("is failing on its first run when that run fails (a connection that never worked is not ok)", async () => {
    fake.set(name, fails("creation refused: HTTP 403"));
    await runCron();
    expect((await connectionAudit(name)).map((entry) => entry.status)).toEqual(["failing"]);
  });

  it("keeps the state a failing run answers (what it changed at the provider), and the old state when it answers none", async () => {
    fake.set(name, succeeds({ state: { channel: "old" } }));
    await maintainConnections(env);
    fake.set(name, fails("stopping the old channel failed: HTTP 503", { state: { channel: "new", previous: "old" } }));
    await maintainConnections(env);
    fake.set(name, fails("still HTTP 503"));
    await maintainConnections(env);
    expect(JSON.parse(String((await storedRow(name))?.state))).toEqual({ channel: "new", previous: "old" });
  });
});

describe("a managed connection's details", () => {
  it("shows what a run answers, keeps it through runs that answer none, and fails a run whose details are not flat and bounded", async () => {
    const [shown, nested, many] = ["shown", "nested", "many"].map(unique) as [string, string, string];
    const fake = new FakeConnectionKind([shown, nested, many])
      .set(shown, succeeds({ details: { channel_id: "ch-1", expires_at: "2026-12-07T18:00:00.000Z", previous_channel_id: null } }))
      .set(nested, succeeds({ details: { channel: { id: "ch-1" } } as never }))
      .set(many, succeeds({ details: Object.fromEntries([...Array(13).keys()].map((index) => [`field_${index}`, index])) }));
    installConnectionDeps({ kinds: [fake.kind] });
    const runs = await maintainConnections(env);
    fake.set(shown, () => ({ verdict: "idle" }));
    await maintainConnections(env);

    const verdicts = Object.fromEntries(runs.map((run) => [run.name, run.verdict]));
    expect(verdicts).toEqual({ [shown]: "ok", [nested]: "failing", [many]: "failing" });
    const views = await runInDurableObject(ledgerStub(), async (_instance, state) => connectionViews(state.storage.sql));
    expect(views.get(shown)?.details).toEqual({ channel_id: "ch-1", expires_at: "2026-12-07T18:00:00.000Z", previous_channel_id: null });
    expect(views.get(nested)).not.toHaveProperty("details");
    expect(views.get(many)).not.toHaveProperty("details");
  });
});

describe("faults of a kind never reach the others or the Cron's other work", () => {
  it("records a run that throws, hangs past the deadline, answers garbage or too large a state as failing, and the healthy one as ok", async () => {
    const [healthy, thrower, hanger, garbage, huge] = ["healthy", "thrower", "hanger", "garbage", "huge"].map(unique) as [string, ...string[]];
    const fake = new FakeConnectionKind([healthy, thrower!, hanger!, garbage!, huge!])
      .set(thrower!, throws("TypeError-like bug"))
      .set(hanger!, hangs)
      .set(garbage!, () => ({ verdict: "maybe" }) as never)
      .set(huge!, succeeds({ state: { blob: "x".repeat(20_000) } }));
    installConnectionDeps({ kinds: [fake.kind], runDeadlineMs: 300 });

    const started = Date.now();
    const runs = await maintainConnections(env);
    expect(Date.now() - started).toBeLessThan(3_000);
    const verdicts = Object.fromEntries(runs.map((run) => [run.name, [run.verdict, run.error]]));
    expect(verdicts).toEqual({
      [healthy]: ["ok", null],
      [thrower!]: ["failing", "its run failed: Error: TypeError-like bug"],
      [hanger!]: ["failing", "its run did not finish within 0.3 s; tried again next minute"],
      [garbage!]: ["failing", "its run answered something that is not a result (a bug in the kind)"],
      [huge!]: ["failing", "its state is larger than 16384 characters and was not kept"],
    });
    expect(await storedRow(healthy)).toMatchObject({ status: "ok" });
    expect(await storedRow(hanger!)).toMatchObject({ status: "failing" });
    expect((await storedRow(huge!))?.state).toBeNull();
  });

  it("runs the Cron's other steps while a connection hangs and a kind cannot even list its connections", async () => {
    const hanger = unique("hanger");
    const broken = new FakeConnectionKind([]);
    broken.kind.connections = () => {
      throw new Error("cannot read its settings");
    };
    installConnectionDeps({ kinds: [broken.kind, new FakeConnectionKind([hanger]).set(hanger, hangs).kind], runDeadlineMs: 500 });
    // A closed hour of refused deliveries: the reconcile step writes it to the audit log.
    const hourAgo = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
    await ledgerStub().countRejections([{ source: "okta", reason: "signature_mismatch", count: 1, first_at: hourAgo + 5, last_at: hourAgo + 5 }]);
    await runCron();
    const rejected = (await (await operatorFetch("/v1/audit?rejected=true&limit=1000")).json()) as { entries: { at: string }[] };
    expect(rejected.entries.map((entry) => entry.at)).toContain(new Date(hourAgo).toISOString());
    expect(await storedRow(hanger)).toMatchObject({ status: "failing", last_error: expect.stringContaining("did not finish") });
  });

  it("fails every connection without a call when PUBLIC_URL is unset", async () => {
    const name = unique("no-origin");
    const fake = new FakeConnectionKind([name]);
    installConnectionDeps({ kinds: [fake.kind] });
    const [run] = await maintainConnections({ ...env, PUBLIC_URL: "" });
    expect(run).toMatchObject({ verdict: "failing", error: expect.stringMatching(/^PUBLIC_URL is not set/), calls: 0 });
    expect(fake.runs).toEqual([]);
  });
});

describe("outbound calls: bounded per connection, per run, and in time", () => {
  const answered: string[] = [];
  const network = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    answered.push(url);
    if (url.endsWith("/hang")) return new Promise<Response>(() => {});
    expect(init?.redirect).toBe("manual");
    return new Response("{}", { status: 200 });
  };
  beforeEach(() => {
    answered.length = 0;
  });

  it("gives each connection at most its kind's maxCalls: a kind that asks for more gets ConnectionBudgetSpent", async () => {
    const name = unique("greedy");
    let refusal: unknown = null;
    const fake = new FakeConnectionKind([name], { maxCalls: 3 }).set(name, async (context) => {
      for (let call = 0; call < 5; call++) {
        try {
          await context.fetch(`https://provider.test/${call}`);
        } catch (error) {
          refusal = error;
          break;
        }
      }
      return { verdict: "ok" };
    });
    installConnectionDeps({ kinds: [fake.kind], fetch: network as typeof fetch });
    const [run] = await maintainConnections(env);
    expect(refusal).toBeInstanceOf(ConnectionBudgetSpent);
    expect(answered).toEqual(["https://provider.test/0", "https://provider.test/1", "https://provider.test/2"]);
    expect(run).toMatchObject({ verdict: "ok", calls: 3 });
  });

  it("deals the run's calls in order and skips a connection they do not cover, which goes first next run", async () => {
    const names = ["a", "b", "c"].map(unique);
    const fake = new FakeConnectionKind(names, { maxCalls: 3 });
    installConnectionDeps({ kinds: [fake.kind], callsPerRun: 7 });
    const first = await maintainConnections(env);
    const skipped = first.filter((run) => run.verdict === "skipped").map((run) => run.name);
    expect(skipped).toHaveLength(1);
    expect(fake.runs.map((run) => run.name).sort()).toEqual(names.filter((name) => name !== skipped[0]).sort());
    const second = await maintainConnections(env);
    expect(second.find((run) => run.name === skipped[0])?.verdict).toBe("ok");
  });

  it("aborts a call that does not answer within the call timeout, and the run goes on", async () => {
    const name = unique("slow-provider");
    const fake = new FakeConnectionKind([name]).set(name, async (context) => {
      try {
        await context.fetch("https://provider.test/hang");
        return { verdict: "ok" };
      } catch (error) {
        return { verdict: "failing", error: `the provider did not answer: ${(error as Error).message}` };
      }
    });
    installConnectionDeps({ kinds: [fake.kind], fetch: network as typeof fetch, callTimeoutMs: 100 });
    const started = Date.now();
    const [run] = await maintainConnections(env);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(run).toMatchObject({ verdict: "failing", error: "the provider did not answer: no answer within 100 ms" });
  });
});

describe("without a managed connection", () => {
  it("costs the Cron nothing: no ledger call, no run", async () => {
    installConnectionDeps({ kinds: [new FakeConnectionKind([]).kind] });
    expect(await maintainConnections(env)).toEqual([]);
    expect((await workerFetch("/healthz")).status).toBe(200);
  });
});
