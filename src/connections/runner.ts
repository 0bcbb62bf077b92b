// The Cron Trigger's step for managed connections (what a kind implements, and how it is registered: kind.ts,
// kinds.ts): every minute, each configured connection's maintain() runs once, and what it answers is recorded
// in the ledger (ledger.connections()), which shows it in /v1/stats and /healthz, audits its changes and alerts.
// - Which: each kind's connections(config). The ledger answers their records, least recently run first, so a
//   connection a spent budget left out goes first next minute.
// - Bounds: all connections together make at most CALLS_PER_RUN outbound calls (deps.ts), dealt in that order,
//   each at most its kind's maxCalls; every call times out (bounded-fetch.ts) and every run has a deadline,
//   after which it is recorded as failing and its signal aborted. Runs go concurrently, so one connection's
//   hang costs the others nothing, and this step runs beside the Cron's other steps (index.ts), never before.
// - Faults: a kind that throws, hangs, answers garbage or a state too large is recorded as failing with a
//   sentence saying so; PUBLIC_URL unset (which the configuration refuses anyway) fails every connection
//   without a call. A ledger that cannot record is logged: the run's state is then lost, and the kind
//   reconciles on its next run.
// Ledger calls: one to begin, one per connection run: 1 + n subrequests beside the kinds' outbound calls.
// Contract: never throws for a connection's failure; answers each connection's run for the log and the tests.
import { type Config, configFor } from "../config";
import { type ConnectionRecord, MAX_CONNECTION_STATE_CHARS, type MaintenanceReport, MaintenanceReportSchema } from "../domain/connections";
import { ledgerFor } from "../ledger/client";
import { logEvent } from "../log";
import { boundedFetch } from "./bounded-fetch";
import { type ConnectionDeps, connectionDeps } from "./deps";
import type { ConnectionKind, MaintainResult } from "./kind";

export type ConnectionRun = {
  name: string;
  kind: string;
  verdict: MaintenanceReport["verdict"] | "skipped";
  error: string | null;
  calls: number;
};

type Planned = { record: ConnectionRecord; kind: ConnectionKind; calls: number; skipped: boolean };

/**
 * Maintains every configured managed connection once; answers each one's run. `sync`: an operator asked
 * (`connections sync [name]`): every run is forced, and only the one named runs when `only` names one.
 */
export async function maintainConnections(env: Env, sync: { only: string | null } | null = null): Promise<ConnectionRun[]> {
  const only = sync?.only ?? null;
  const result = configFor(env);
  if (!result.ok) return [];
  const deps = connectionDeps();
  const kinds = new Map<string, ConnectionKind>();
  for (const kind of deps.kinds) {
    for (const name of configuredBy(kind, result.config)) {
      const claimed = kinds.get(name);
      if (claimed) logEvent("connection.name_taken", { connection: name, kind: kind.kind, by: claimed.kind });
      else kinds.set(name, kind);
    }
  }
  if (kinds.size === 0) return [];
  const ledger = ledgerFor(env).connections();
  const records = await ledger.begin([...kinds].map(([name, kind]) => ({ name, kind: kind.kind })));
  let budget = deps.callsPerRun;
  // Every configured connection is named to the ledger (it keeps them all shown); only `only` runs when given.
  const planned: Planned[] = records.flatMap((record) => {
    const kind = kinds.get(record.name);
    if (!kind || (only !== null && record.name !== only)) return [];
    const needed = Math.min(kind.maxCalls, deps.callsPerRun);
    const calls = budget >= needed ? needed : 0;
    budget -= calls;
    return [{ record, kind, calls, skipped: calls < needed }];
  });
  return Promise.all(
    planned.map(async (run): Promise<ConnectionRun> => {
      if (run.skipped) {
        logEvent("connection.skipped", { connection: run.record.name, reason: "this run's outbound calls are spent; it goes first next run" });
        return { name: run.record.name, kind: run.kind.kind, verdict: "skipped", error: null, calls: 0 };
      }
      const { report, calls } = await runOne(run, result.config, deps, sync !== null);
      await ledger
        .record(run.record.name, report)
        .catch((error: unknown) => logEvent("connection.record_failed", { connection: run.record.name, error: String(error) }));
      const outcome = { name: run.record.name, kind: run.kind.kind, verdict: report.verdict, error: report.error, calls };
      logEvent(report.verdict === "failing" ? "connection.run_failed" : "connection.run", outcome);
      return outcome;
    }),
  );
}

async function runOne(run: Planned, config: Config, deps: ConnectionDeps, forced: boolean): Promise<{ report: MaintenanceReport; calls: number }> {
  const { kind, record } = run;
  if (config.publicUrl === null) {
    return { report: failing(kind, "PUBLIC_URL is not set: the addresses this connection gives its provider are built from it"), calls: 0 };
  }
  const controller = new AbortController();
  const network = boundedFetch({ fetch: deps.fetch, calls: run.calls, timeoutMs: deps.callTimeoutMs, signal: controller.signal });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<MaintainResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ verdict: "failing", error: `its run did not finish within ${deps.runDeadlineMs / 1000} s; tried again next minute` });
    }, deps.runDeadlineMs);
  });
  const maintained = Promise.resolve()
    .then(() =>
      kind.maintain({
        name: record.name,
        config,
        publicUrl: config.publicUrl!,
        state: parseState(record.state),
        record,
        fetch: network.fetch,
        timeoutMs: deps.callTimeoutMs,
        now: deps.now,
        random: deps.random,
        signal: controller.signal,
        forced,
      }),
    )
    .catch((error: unknown): MaintainResult => ({ verdict: "failing", error: `its run failed: ${describeError(error)}` }));
  try {
    const answered = await Promise.race([maintained, deadline]);
    return { report: reportOf(kind, answered), calls: network.used() };
  } finally {
    clearTimeout(timer);
  }
}

/** A kind's answer as the ledger takes it: its state as JSON text, checked; anything malformed (details too) is a failure. */
function reportOf(kind: ConnectionKind, answered: MaintainResult): MaintenanceReport {
  const state = answered.state === undefined || answered.state === null ? null : JSON.stringify(answered.state);
  if (state !== null && state.length > MAX_CONNECTION_STATE_CHARS) {
    return failing(kind, `its state is larger than ${MAX_CONNECTION_STATE_CHARS} characters and was not kept`);
  }
  const report = MaintenanceReportSchema.safeParse({
    kind: kind.kind,
    verdict: answered.verdict,
    error: answered.verdict === "failing" ? String(answered.error).slice(0, 500) : null,
    proof: answered.verdict === "ok" && answered.proof !== undefined ? String(answered.proof).slice(0, 200) : null,
    changes: answered.verdict === "idle" ? [] : (answered.changes ?? []),
    state,
    details: answered.details ?? null,
  });
  return report.success ? report.data : failing(kind, "its run answered something that is not a result (a bug in the kind)");
}

/** A kind's connections; one whose configuration cannot be read has none this run (and says so in the log). */
function configuredBy(kind: ConnectionKind, config: Config): string[] {
  try {
    return kind.connections(config);
  } catch (error) {
    logEvent("connection.kind_failed", { kind: kind.kind, error: describeError(error) });
    return [];
  }
}

function failing(kind: ConnectionKind, error: string): MaintenanceReport {
  return { kind: kind.kind, verdict: "failing", error, proof: null, changes: [], state: null, details: null };
}

function parseState(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** An error for the record: its name and message, bounded; never its stack. */
function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : "an unknown error";
}
