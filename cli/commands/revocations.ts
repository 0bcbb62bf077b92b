// revoke, status, list, retry: one person's revocation and the records.
import { type Command, InvalidArgumentError, Option } from "commander";
import { type AnsweredRecord, type RecordPage, type RevocationRecord, RevocationStatusSchema } from "../../src/domain/revocation.ts";
import type { JobRetry } from "../../src/domain/views.ts";
import { usageFailure } from "../errors.ts";
import { SELF } from "../self.ts";
import { sessionOf } from "../session.ts";
import { revocationsTable, revocationView, revokeAnswerView } from "../views.ts";

export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("a whole number of at least 1");
  return Number(value);
}

export function registerRevocationCommands(program: Command): void {
  program
    .command("revoke")
    .summary("revoke one person's Access sessions now")
    .description("Revokes one person's Access sessions on every configured account and zone (the urgent lane), and waits up to 10 s for the outcome.")
    .argument("<email>", "the person's email address")
    .option("--reason <text>", "why, kept in the record and the audit log")
    .option("--user-uid <uid>", "the person's IdP user id, sent with the revocation")
    .option("--no-devices", "keep the person's device (WARP) sessions")
    .option("--warp-reauth", "require WARP re-authentication")
    .option("--idempotency-key <key>", "repeat-safe key: the same key answers the same revocation")
    .action(async function revoke(email: string, options: RevokeOptions, command: Command) {
      const session = sessionOf(command);
      const answer = await session.api.request<AnsweredRecord>("POST", "/v1/revocations", {
        json: {
          email,
          ...(options.userUid ? { user_uid: options.userUid } : {}),
          ...(options.reason ? { reason: options.reason } : {}),
          ...(options.devices === false ? { devices: false } : {}),
          ...(options.warpReauth ? { warp_session_reauth: true } : {}),
        },
        headers: { "Idempotency-Key": options.idempotencyKey },
      });
      session.show(answer, (record) => revokeAnswerView(record, answer.status, SELF));
    });

  program
    .command("status")
    .summary("one revocation (rev_…) with its targets, or an email's revocations")
    .argument("<email|rev_id>", "a revocation id (rev_ and 32 hex digits) or an email address")
    .action(async function showStatus(subject: string, _options: unknown, command: Command) {
      const session = sessionOf(command);
      if (subject.startsWith("rev_")) {
        const answer = await session.api.request<RevocationRecord>("GET", `/v1/revocations/${encodeURIComponent(subject)}`);
        return session.show(answer, revocationView);
      }
      if (!subject.includes("@")) throw usageFailure(`"${subject}" is neither a revocation id (rev_…) nor an email address`);
      const answer = await session.api.request<RecordPage>("GET", "/v1/revocations", { query: { email: subject } });
      session.show(answer, (page) =>
        page.records.length === 0 ? `no revocations for ${subject}` : `${revocationsTable(page.records)}${moreHint(page.cursor)}`,
      );
    });

  program
    .command("list")
    .summary("revocations, newest first")
    .addOption(new Option("--status <status>", "only this status").choices(RevocationStatusSchema.options))
    .option("--email <email>", "only this person")
    .option("--job <job_id>", "only this bulk job's")
    .option("--limit <n>", "records per page (the API allows up to 100)", positiveInteger)
    .option("--cursor <cursor>", "continue from a previous page")
    .option("--all", "follow the cursor to the last page")
    .action(async function listRevocations(options: ListOptions, command: Command) {
      const session = sessionOf(command);
      const query = { status: options.status, email: options.email, job_id: options.job, limit: options.limit, cursor: options.cursor };
      if (!options.all) {
        const answer = await session.api.request<RecordPage>("GET", "/v1/revocations", { query });
        return session.show(answer, (page) => `${revocationsTable(page.records)}${moreHint(page.cursor)}`);
      }
      const records: RevocationRecord[] = [];
      let cursor: string | null | undefined = options.cursor;
      do {
        const page: RecordPage = (
          await session.api.request<RecordPage>("GET", "/v1/revocations", { query: { ...query, cursor: cursor ?? undefined } })
        ).body;
        records.push(...page.records);
        if (page.cursor !== null && page.cursor === cursor) throw new Error(`the API answered the same cursor twice (${cursor})`);
        cursor = page.cursor;
      } while (cursor !== null);
      // --all --json: one document with every page's records, as if it were one page.
      const merged: RecordPage = { records, cursor: null };
      session.show({ text: JSON.stringify(merged), body: merged }, (page) => revocationsTable(page.records));
    });

  program
    .command("retry")
    .summary("re-drive a failed revocation, or every failed revocation of a job")
    .argument("[rev_id]", "the failed revocation")
    .option("--job <job_id>", "retry the job's failed revocations instead")
    .action(async function retry(id: string | undefined, options: { job?: string }, command: Command) {
      if ((id === undefined) === (options.job === undefined)) throw usageFailure("give either a revocation id (retry rev_…) or --job <job_id>");
      const session = sessionOf(command);
      if (options.job !== undefined) {
        const answer = await session.api.request<JobRetry>("POST", `/v1/jobs/${encodeURIComponent(options.job)}/retry`);
        return session.show(
          answer,
          (body) => `${body.job_id}: ${body.requeued} failed revocations requeued; follow them with \`${SELF} job ${body.job_id} --watch\``,
        );
      }
      const answer = await session.api.request<RevocationRecord>("POST", `/v1/revocations/${encodeURIComponent(id!)}/retry`);
      session.show(answer, (record) => `${record.id} requeued (${record.status}); follow it with \`${SELF} status ${record.id}\``);
    });
}

type RevokeOptions = { reason?: string; userUid?: string; devices: boolean; warpReauth?: boolean; idempotencyKey?: string };
type ListOptions = { status?: string; email?: string; job?: string; limit?: number; cursor?: string; all?: boolean };

function moreHint(cursor: string | null): string {
  return cursor ? `\nmore: --cursor ${cursor} (or --all)` : "";
}
