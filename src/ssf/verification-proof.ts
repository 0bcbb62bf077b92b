// A verification event (SSF 1.0 §8.1.4) from a transmitter whose stream the Worker manages
// (connections/ssf-stream/) is proof the stream works end to end only when it carries the `state` the Worker
// asked for last: compared in constant time with the one kept in the connection's state, and, when the event
// names its stream, that stream must be the managed one. A match is recorded as the connection's proof of
// life (ledger.connections().proof), which the stream's next run reads as the round trip. Any other
// verification event (a state never asked for, an old one replayed, none pending, or a transmitter the Worker
// does not manage) is logged and counts for nothing; the SET itself is still accepted (SETs are statements).
// Contract: never throws and never fails the delivery: the check is best effort after the SET is committed,
// and a ledger that cannot answer is logged (the stream's run then reports the verification missed).
import { configFor } from "../config";
import { matchesAnySecret } from "../crypto/compare";
import { readStreamState } from "../domain/ssf/managed-stream";
import { ledgerFor } from "../ledger/client";
import { logEvent } from "../log";
import { ssfSourceName } from "../sources/registry";
import type { AcceptedSet } from "./receive-set";

export async function proveVerifications(env: Env, name: string, set: Pick<AcceptedSet, "jti" | "stream">): Promise<void> {
  const verifications = set.stream.filter((event) => event.kind === "verification");
  if (verifications.length === 0) return;
  const config = configFor(env);
  if (!config.ok || !config.config.ssfTransmitters.get(name)?.manage) return;
  const source = ssfSourceName(name);
  try {
    const connections = ledgerFor(env).connections();
    const kept = readStreamState(await connections.state(source));
    for (const event of verifications) {
      const pending = kept.verification;
      const sameStream = event.stream_id === null || event.stream_id === kept.stream_id;
      if (pending !== null && sameStream && (await matchesAnySecret(event.state, [pending.state]))) {
        await connections.proof(source, `verification event with the state requested at ${new Date(pending.requested_at).toISOString()}`);
        logEvent("ssf.verification_matched", { transmitter: name, jti: set.jti, stream_id: kept.stream_id });
        continue;
      }
      const reason =
        pending === null
          ? "no verification is pending"
          : !sameStream
            ? "it names another stream than the managed one"
            : "its state is not the one requested (forged, replayed or stale)";
      logEvent("ssf.verification_unrequested", { transmitter: name, jti: set.jti, reason });
    }
  } catch (error) {
    logEvent("ssf.verification_check_failed", { transmitter: name, jti: set.jti, error: String(error).slice(0, 200) });
  }
}
