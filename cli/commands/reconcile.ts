// reconcile, reconcile status, acknowledge: the reconciliation sweep (issue #23): start one now, see where it
// stands, and acknowledge a person it found back once you acted in the identity provider.
import type { Command } from "commander";
import type { RevocationRecord } from "../../src/domain/revocation.ts";
import type { ReconcileView, Stats } from "../../src/domain/views.ts";
import { usageFailure } from "../errors.ts";
import { acknowledgedView, reconcileView, sweepStartedView } from "../reconcile-views.ts";
import { sessionOf } from "../session.ts";

const REVOCATION_ID = /^rev_[0-9a-f]{32}$/;

export function registerReconcileCommands(program: Command): void {
  const reconcile = program
    .command("reconcile")
    .summary("start a reconciliation sweep now: find revoked people who signed in again (audited)")
    .description(
      "Starts a reconciliation sweep now: every account's Access users are read, a page at a time at the follow-up lane's leftover pace, and anyone revoked who signed in again (or holds a seat again, with REMOVE_SEATS) is recorded, and revoked once more with RECONCILE_REVOKE_RETURNS. `reconcile status` shows its progress.",
    )
    .action(async function startSweep(_options: unknown, command: Command) {
      const session = sessionOf(command);
      const answer = await session.api.request<{ started: boolean; reconcile: ReconcileView }>("POST", "/v1/reconcile");
      session.show(answer, (body) => sweepStartedView(body, session.now()));
    });

  reconcile
    .command("status")
    .summary("the sweep running, the last one's result, the next, and returns not acknowledged")
    .action(async function showSweep(_options: unknown, command: Command) {
      const session = sessionOf(command);
      const answer = await session.api.request<Stats>("GET", "/v1/stats");
      const view = answer.body.reconcile;
      session.show({ text: JSON.stringify(view), body: view }, (body) => reconcileView(body, session.now()));
    });

  program
    .command("acknowledge")
    .summary("acknowledge that a revoked person came back, once you acted in the IdP (audited)")
    .argument("<rev_id>", "the revocation the sweep found them back after, as `reconcile status` lists it")
    .requiredOption("--reason <text>", "what you did about it, kept on the record and in the audit log")
    .action(async function acknowledge(id: string, options: { reason: string }, command: Command) {
      if (!REVOCATION_ID.test(id)) throw usageFailure(`a revocation id is rev_ and 32 hex digits; not "${id}"`);
      const session = sessionOf(command);
      const answer = await session.api.request<RevocationRecord>("POST", `/v1/revocations/${id}/acknowledge`, { json: { reason: options.reason } });
      session.show(answer, acknowledgedView);
    });
}
