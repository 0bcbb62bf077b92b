// A verified SET into the ledger, the same way whether it was pushed (routes.ts) or polled.
// - Identity events become revocation requests under the source "ssf-<name>" with the SET's jti as event id
//   (events.ts), so a replayed jti is answered by the ledger's (source, event id) uniqueness as a duplicate of
//   the first record, never a second revocation. A jti reused for a SET that says something else (its digest
//   differs) is not a replay: the ledger records the conflict and commits it under ids of its own
//   (ledger/ssf/jti.ts). Assurance "signed": a JWS verified against the keys the transmitter publishes,
//   which is stronger than any shared secret.
// - A subject only the directory can name (iss_sub, opaque) resolves through the transmitter's own directory
//   source, or waits there as unresolved like any webhook subject; a subject no directory can name (a phone
//   number, a proprietary format) is recorded as unresolved with the reason, never dropped.
// - Requests and observations are made by the mapping every source uses (domain/revocation-requests.ts), so a
//   SET's records carry what a webhook event's do (the address as spelled, an unusable one).
// - Identities seen together (an email beside an id) feed that directory once per SET: their event id is the
//   jti (events.ts), and a reused jti's are told apart like its revocations (ledger/ssf/rpc.ts). Stream events
//   go to the stream's record (ledger/ssf/streams.ts); events that deprovision nobody are logged. All of it in
//   one transaction. A verification event of a stream the Worker manages is then checked against the state it
//   asked for (verification-proof.ts), best effort: it never fails the SET, and a pushed SET's answer never
//   waits for it (the request's waitUntil runs it; a Cron run, which has no one waiting, awaits it).
// Contract: the ledger has everything before this returns; a ledger failure throws HttpFailure
// (ledger_unavailable, 503) so the transmitter delivers again. Answers whether anything was committed (a SET
// that deprovisions, teaches and notes nothing costs no ledger call).
import type { IdentityEvent } from "../domain/identity-events";
import { observations, revocationRequests } from "../domain/revocation-requests";
import { describeEventType } from "../domain/ssf/event-types";
import { onLedger } from "../http/ledger";
import { logEvent } from "../log";
import { ssfSourceName } from "../sources/registry";
import type { AcceptedSet } from "./receive-set";
import { proveVerifications } from "./verification-proof";

/** `waitUntil`: the request's, when one is waiting for the answer; without it the proof is awaited. */
export async function commitSet(env: Env, name: string, set: AcceptedSet, waitUntil?: (work: Promise<void>) => void): Promise<boolean> {
  const source = ssfSourceName(name);
  const unresolved: IdentityEvent[] = set.unresolved.map((event) => ({
    event_id: event.event_id,
    event_type: event.event_type,
    reason: `${describeEventType(event.event_type)} from ${name}`,
    refusal: { status: "unresolved", detail: `no directory can resolve the subject: ${event.reason}` },
  }));
  const requests = revocationRequests({ source, assurance: "signed" }, [...set.events, ...unresolved]);
  const learning = observations(source, set.observed);
  const notices = set.stream.map(({ event_id: _, ...notice }) => notice);

  const committing = requests.length + learning.length + notices.length > 0;
  const { receipts, firstDigest } = committing
    ? await onLedger(
        env,
        (ledger) =>
          ledger.ssf().commitSet(name, { jti: set.jti, digest: set.digest, issuedAt: set.iat * 1000, requests, observations: learning, notices }),
        "the SET",
      )
    : { receipts: [], firstDigest: null };

  if (firstDigest !== null) logEvent("ssf.jti_conflict", { transmitter: name, jti: set.jti, first_digest: firstDigest, digest: set.digest });
  for (const { event_id: _, ...event } of set.stream) logEvent(`ssf.${event.kind}`, { transmitter: name, jti: set.jti, ...event });
  logEvent("ssf.accepted", {
    transmitter: name,
    jti: set.jti,
    revocations: receipts.filter((receipt) => !receipt.duplicate).map((receipt) => `${receipt.id} ${receipt.status}`),
    duplicates: receipts.filter((receipt) => receipt.duplicate).length,
    unresolved: set.unresolved.map((event) => event.reason),
    ignored: set.ignored,
  });
  // A verification event of a managed stream is its proof of life only with the state asked for.
  const proving = proveVerifications(env, name, set);
  if (waitUntil) waitUntil(proving);
  else await proving;
  return committing;
}
