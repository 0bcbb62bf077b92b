// Alerts: what the Worker tells a person through ALERT_WEBHOOK_URL (ledger/alerts/ keeps and sends them), and
// the message each becomes. An alert's facts are recorded when it happens; its message is written when it is
// sent, so a bulk job's summary counts the job as it stands then.
// The message: `text`, one paragraph naming the person or connection, what happened and the next step with
// its runbook section (what Slack's and Teams' incoming webhooks display: both take {"text": …}), and
// `alert`, the same as fields for a program (kind, subject, summary, next_step, runbook, facts, id, at).
// Contract: pure. Facts hold emails, ids, targets, times and error sentences: never a token, secret or body.
import { clause } from "./sentence";

export type AlertFacts =
  | { kind: "revocation_failed"; revocation_id: string; email: string | null; source: string; error: string | null }
  | { kind: "still_active"; revocation_id: string; email: string | null; source: string; target: string; detail: string }
  | { kind: "target_held"; target: string; reason: string; until: string }
  | { kind: "connection_failing"; connection: string; connection_kind: string; error: string }
  | { kind: "connection_recovered"; connection: string; connection_kind: string; detail: string }
  | { kind: "source_silent"; source: string; hours: number; since: string }
  | { kind: "job_failures"; job_id: string; total: number; failed: number; still_active: number; open: number; examples: string[] }
  | { kind: "suppressed"; count: number; by_kind: Record<string, number>; since: string; cap: number }
  | { kind: "test"; requested_at: string };

type AlertKind = AlertFacts["kind"];

/** The runbook sections (docs/operations.md) each alert points to. */
const RUNBOOK = "docs/operations.md#";
const SECTIONS: Record<AlertKind, string> = {
  revocation_failed: "re-driving-failures",
  still_active: "still_active-verification-found-a-session",
  target_held: "the-api-token-was-revoked-or-rotated",
  connection_failing: "a-managed-connection-is-failing",
  connection_recovered: "a-managed-connection-is-failing",
  source_silent: "a-source-is-silent",
  job_failures: "re-driving-failures",
  suppressed: "alerts",
  test: "alerts",
};

type Wording = { subject: string; summary: string; next_step: string };

function wordingOf(facts: AlertFacts): Wording {
  switch (facts.kind) {
    case "revocation_failed": {
      const who = facts.email ?? "a person not yet resolved";
      return {
        subject: who,
        summary: `The revocation of ${who} (${facts.revocation_id}, from ${facts.source}) failed for good: ${clause(facts.error ?? "no error recorded")}.`,
        next_step: `Read its last_error (access-revoker status ${facts.revocation_id}), fix the cause, then retry it (access-revoker retry ${facts.revocation_id}).`,
      };
    }
    case "still_active": {
      const who = facts.email ?? facts.revocation_id;
      return {
        subject: who,
        summary: `${who} is still active at ${facts.target} after the revocation (${facts.revocation_id}): ${clause(facts.detail)}. The Worker revoked once more.`,
        next_step: "Deactivate the person in the identity provider and find why the deprovisioning did not, then revoke again.",
      };
    }
    case "target_held":
      return {
        subject: facts.target,
        summary: `Revocations at ${facts.target} are held until ${facts.until}: ${clause(facts.reason)}. The revocation refused failed; the others wait.`,
        next_step: "Fix the API token (ACCESS_API_TOKEN), then lift the hold (access-revoker holds clear), which re-queues what the refusal failed.",
      };
    case "connection_failing":
      return {
        subject: facts.connection,
        summary: `The managed connection ${facts.connection} (${facts.connection_kind}) is failing: ${clause(facts.error)}. Its deliveries may have stopped.`,
        next_step: "Check the connection at the provider and its credentials; GET /v1/stats shows its last proof of life, /healthz its error.",
      };
    case "connection_recovered":
      return {
        subject: facts.connection,
        summary: `The managed connection ${facts.connection} (${facts.connection_kind}) is ${clause(facts.detail)}.`,
        next_step: "Nothing to do; deliveries missed while it failed may be worth checking at the provider.",
      };
    case "source_silent":
      return {
        subject: facts.source,
        summary: `${facts.source} has delivered nothing accepted since ${facts.since} (its threshold is ${facts.hours} h).`,
        next_step: "Check that the provider still sends to this Worker (its hook, stream or channel, and its secret); a quiet week is possible too.",
      };
    case "job_failures": {
      const parts = [`${facts.failed} of ${facts.total} failed for good`];
      if (facts.still_active > 0) parts.push(`${facts.still_active} still active after their revocation`);
      if (facts.open > 0) parts.push(`${facts.open} not finished yet`);
      const examples = facts.examples.length > 0 ? ` (among them ${facts.examples.join(", ")})` : "";
      return {
        subject: facts.job_id,
        summary: `Bulk job ${facts.job_id}: ${parts.join(", ")}${examples}.`,
        next_step: `List them (access-revoker list --job ${facts.job_id} --status failed), fix the cause, then retry the job's failures (access-revoker retry --job ${facts.job_id}).`,
      };
    }
    case "suppressed": {
      const kinds = Object.entries(facts.by_kind)
        .map(([kind, count]) => `${count} ${kind}`)
        .join(", ");
      return {
        subject: "alerts",
        summary: `${facts.count} alert(s) since ${facts.since} were not sent, past the cap of ${facts.cap} an hour: ${kinds}.`,
        next_step: "Read GET /v1/stats and the failed revocations (access-revoker list --status failed): something is failing at scale.",
      };
    }
    case "test":
      return {
        subject: "test",
        summary: `A test alert, asked for at ${facts.requested_at}: alerts reach this channel.`,
        next_step: "Nothing to do.",
      };
  }
}

export type AlertPayload = {
  text: string;
  alert: {
    id: string;
    kind: AlertKind;
    at: string;
    subject: string;
    summary: string;
    next_step: string;
    runbook: string;
    /** The Worker's origin (PUBLIC_URL), when set: which deployment speaks. */
    worker: string | null;
    facts: AlertFacts;
  };
};

/** The message an alert is sent as. */
export function alertPayload(facts: AlertFacts, context: { id: string; at: number; worker: string | null }): AlertPayload {
  const { subject, summary, next_step } = wordingOf(facts);
  const runbook = `${RUNBOOK}${SECTIONS[facts.kind]}`;
  return {
    text: `access-revoker: ${summary} Next: ${next_step} Runbook: ${runbook}`,
    alert: {
      id: context.id,
      kind: facts.kind,
      at: new Date(context.at).toISOString(),
      subject,
      summary,
      next_step,
      runbook,
      worker: context.worker,
      facts,
    },
  };
}
