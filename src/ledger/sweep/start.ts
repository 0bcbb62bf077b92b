// Starting a reconciliation sweep: when the Cron Trigger finds one due (RECONCILE_EVERY_HOURS after the last
// began, or an hour after one the API refused the token for), or when an operator asks (POST /v1/reconcile,
// which also starts one while sweeps are off: the operator may have fixed the token). One sweep at a time;
// every account target is read, zones have no Access users. Under DRY_RUN nothing is sent, so no sweep
// starts, and one left running is stopped. The page calls are queued in the commit's transaction and the
// drain armed for them.
import { targetPath } from "../../cloudflare/revoke-user";
import type { LedgerCore } from "../core";
import { latestSweep, nextSweepAt, startSweep, stopRunningSweep } from "./runs";

/** Answers whether a sweep started. */
export async function startDueOrAsked(core: LedgerCore, trigger: "schedule" | "operator"): Promise<boolean> {
  const config = core.config();
  const accounts = config.targets.filter((target) => target.kind === "accounts").map(targetPath);
  let audited = false;
  const started = core.transact(({ sql, now, queued }) => {
    if (config.dryRun) {
      audited = stopRunningSweep(sql, now, "DRY_RUN is on: the sweep sends nothing");
      return false;
    }
    if (trigger === "schedule") {
      const due = nextSweepAt(latestSweep(sql), config.reconcileEveryHours, now);
      if (due === null || due > now) return false;
    }
    const start = startSweep(sql, accounts, trigger, now);
    for (const group of start.queued) queued?.(group.lane, group.group);
    audited = start.started && start.sweep.status !== "running";
    return start.started;
  });
  if (audited) core.auditAppended();
  if (started) await core.arm();
  return started;
}
