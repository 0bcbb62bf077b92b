// Each transmitter's jti → the digest of what its SET said (table ssf_set_digests), and the jtis reused for
// a SET that says something else (ssf_jti_conflicts). RFC 8417 §2.2 makes a jti unique per issuer, and the
// ledger de-duplicates a SET's revocations by it: without this, a second SET under the same jti (the CAEP
// 1.0 specification's three session-revoked examples share one) was the first one's duplicate and revoked
// nobody, without a trace. Only SETs that ask for revocations or teach the directory are kept here, since
// only those are de-duplicated by jti, for as long as their revocations and lessons are (for ever).
// The decision (docs/ssf.md): a reused jti is accepted and acted on, under event ids of its own; the conflict
// is recorded (transmitter, jti, both digests), counted in /v1/stats, and named in each revocation's reason.
// A jti can only be reused by the transmitter's own key, so nothing forged gets through, and refusing it
// (a 400 is final to the transmitter) would lose a signed deprovisioning.
// Contract: synchronous SQLite only; `now` is passed in.
import type { JtiConflictsView } from "../../domain/views";

/**
 * Records `digest` as what the transmitter's `jti` says, or, when the jti already said something else,
 * the conflict (once per digest). Answers the first digest when they differ, else null.
 */
export function claimJti(sql: SqlStorage, transmitter: string, jti: string, digest: string, now: number): string | null {
  sql.exec(
    "INSERT INTO ssf_set_digests (transmitter, jti, digest, first_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    transmitter,
    jti,
    digest,
    now,
  );
  const first = sql.exec<{ digest: string }>("SELECT digest FROM ssf_set_digests WHERE transmitter = ? AND jti = ?", transmitter, jti).one().digest;
  if (first === digest) return null;
  sql.exec(
    "INSERT INTO ssf_jti_conflicts (transmitter, jti, first_digest, digest, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    transmitter,
    jti,
    first,
    digest,
    now,
  );
  return first;
}

/** Per transmitter: how many SETs reused a jti for other content, and the latest. */
export function jtiConflictsByTransmitter(sql: SqlStorage): Map<string, JtiConflictsView> {
  const rows = sql
    .exec<{ transmitter: string; n: number; jti: string; first_digest: string; digest: string; at: number }>(
      `SELECT transmitter, jti, first_digest, digest, at, (SELECT COUNT(*) FROM ssf_jti_conflicts AS c WHERE c.transmitter = latest.transmitter) AS n
       FROM ssf_jti_conflicts AS latest
       WHERE rowid = (SELECT rowid FROM ssf_jti_conflicts AS c WHERE c.transmitter = latest.transmitter ORDER BY at DESC, rowid DESC LIMIT 1)`,
    )
    .toArray();
  return new Map(
    rows.map((row) => [
      row.transmitter,
      { count: row.n, last: { jti: row.jti, first_digest: row.first_digest, digest: row.digest, at: new Date(row.at).toISOString() } },
    ]),
  );
}
