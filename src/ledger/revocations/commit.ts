// Committing a revocation request: de-duplication by (source, event id), one revocation per email the
// request names or the directory knows for its subject, refusals recorded without calls, and a request whose
// subject the directory does not know yet waiting as 'unresolved' (resolve.ts queues it once it does).
// Contract: synchronous SQLite only; the ledger runs this inside its transactions, so a write and the
// revocations it causes commit together.
import type { CommitReceipt, RevocationRequest } from "../../domain/revocation";
import { logEvent } from "../../log";
import type { CommitContext } from "../store/context";
import { emailsFor } from "./directory";
import { dedupeKey, insertRevocation } from "./insert";
import { learnIdentity } from "./resolve";
import type { RevocationRow } from "./schema";

export function commitRequest(context: CommitContext, request: RevocationRequest): CommitReceipt {
  const { sql } = context;
  const key = dedupeKey(request.source, request.event_id);
  const existing = sql
    .exec<Pick<RevocationRow, "id" | "status" | "fingerprint" | "email">>(
      "SELECT id, status, fingerprint, email FROM revocations WHERE dedupe_key = ?",
      key,
    )
    .toArray()[0];
  if (existing) {
    const receipt: CommitReceipt = { id: existing.id, status: existing.status, duplicate: true };
    if (request.fingerprint && existing.fingerprint !== request.fingerprint) receipt.conflict = { email: existing.email };
    return receipt;
  }
  if (request.refusal) {
    const email = request.email ?? request.unusable_email?.toLowerCase() ?? null;
    return insertRevocation(context, request, key, email, { status: request.refusal.status, error: request.refusal.detail });
  }
  const subject = request.subject_id ?? null;
  if (request.email) {
    if (subject) learnIdentity(context, request.source, subject, [request.email]);
    return insertRevocation(context, request, key, request.email);
  }
  if (!subject) throw new Error("a revocation request needs an email or a subject id");
  const [first, ...others] = emailsFor(sql, request.source, subject);
  if (!first) {
    const note = request.unusable_email
      ? `the email ${JSON.stringify(request.unusable_email)} cannot be used; waiting for the directory to know subject ${subject}`
      : `waiting for the directory to know subject ${subject}`;
    const receipt = insertRevocation(context, request, key, null, { status: "unresolved", error: note });
    logEvent("revocation.unresolved", { source: request.source, subject_id: subject, event_id: request.event_id });
    return receipt;
  }
  for (const email of others) insertRevocation(context, request, dedupeKey(request.source, request.event_id, email), email);
  return insertRevocation(context, request, key, first);
}
