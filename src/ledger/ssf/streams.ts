// Shared Signals streams as the ledger keeps them (table ssf_streams): a transmitter's stream-updated events
// set its stream's status (enabled, paused or disabled, SSF 1.0 §8.1.5), its verification events (§8.1.4)
// are counted. /v1/stats shows every configured transmitter, with nulls for what never arrived: a paused or
// disabled stream delivers nothing, so it must show there rather than as silence.
// A status is ordered by its SET's iat: a late or replayed older stream-updated never overwrites a newer one.
// A stream-updated whose status could not be read (src/ssf/stream-events.ts) is kept beside it, ordered the same
// way: until a readable status issued after it arrives, the stream may be paused, and /healthz says so.
// Transmitters polled (RFC 8936) also keep their last poll run here, so a poll that stopped working shows.
// Contract: synchronous SQLite only; `now` and each SET's issue time are passed in.
import { STREAM_STATUSES, type StreamStatus } from "../../domain/ssf/event-types";
import { isoOrNull, type SsfStream } from "../../domain/views";
import { heldSetsByTransmitter } from "./held-sets";
import { jtiConflictsByTransmitter } from "./jti";

/** A stream event as the ledger records it (what the route read from a verified SET). */
export type StreamNotice =
  | { kind: "verification"; stream_id: string | null }
  | { kind: "stream_updated"; stream_id: string | null; status: StreamStatus; reason: string | null }
  | { kind: "stream_unreadable"; stream_id: string | null; detail: string };

type StreamRow = {
  transmitter: string;
  stream_id: string | null;
  status: string | null;
  reason: string | null;
  status_at: number | null;
  status_received_at: number | null;
  verifications: number;
  last_verified_at: number | null;
  poll_at: number | null;
  poll_ok_at: number | null;
  poll_error: string | null;
  polled_sets: number;
  unreadable_at: number | null;
  unreadable_received_at: number | null;
  unreadable_detail: string | null;
};

/** One poll run's outcome for a transmitter: `error` null when every request of it succeeded. */
export function recordPollRun(sql: SqlStorage, transmitter: string, received: number, error: string | null, now: number): void {
  sql.exec("INSERT INTO ssf_streams (transmitter) VALUES (?) ON CONFLICT DO NOTHING", transmitter);
  sql.exec(
    `UPDATE ssf_streams SET poll_at = ?, poll_ok_at = CASE WHEN ? IS NULL THEN ? ELSE poll_ok_at END, poll_error = ?,
       polled_sets = polled_sets + ? WHERE transmitter = ?`,
    now,
    error,
    now,
    error,
    received,
    transmitter,
  );
}

/** `issuedAt` is the SET's iat in milliseconds. */
export function recordStreamNotices(sql: SqlStorage, transmitter: string, notices: StreamNotice[], issuedAt: number, now: number): void {
  sql.exec("INSERT INTO ssf_streams (transmitter) VALUES (?) ON CONFLICT DO NOTHING", transmitter);
  for (const notice of notices) {
    if (notice.kind === "verification") {
      sql.exec(
        "UPDATE ssf_streams SET verifications = verifications + 1, last_verified_at = ?, stream_id = COALESCE(?, stream_id) WHERE transmitter = ?",
        now,
        notice.stream_id,
        transmitter,
      );
      continue;
    }
    if (notice.kind === "stream_unreadable") {
      sql.exec(
        `UPDATE ssf_streams SET unreadable_at = ?, unreadable_received_at = ?, unreadable_detail = ?, stream_id = COALESCE(?, stream_id)
         WHERE transmitter = ? AND (unreadable_at IS NULL OR unreadable_at <= ?)`,
        issuedAt,
        now,
        notice.detail,
        notice.stream_id,
        transmitter,
        issuedAt,
      );
      continue;
    }
    sql.exec(
      `UPDATE ssf_streams SET status = ?, reason = ?, status_at = ?, status_received_at = ?, stream_id = COALESCE(?, stream_id)
       WHERE transmitter = ? AND (status_at IS NULL OR status_at <= ?)`,
      notice.status,
      notice.reason,
      issuedAt,
      now,
      notice.stream_id,
      transmitter,
      issuedAt,
    );
  }
}

/** Every named transmitter's stream, as /v1/stats shows it. */
export function ssfStreams(sql: SqlStorage, transmitters: Iterable<string>): Record<string, SsfStream> {
  const rows = new Map(
    sql
      .exec<StreamRow>("SELECT * FROM ssf_streams")
      .toArray()
      .map((row) => [row.transmitter, row]),
  );
  const held = heldSetsByTransmitter(sql);
  const conflicts = jtiConflictsByTransmitter(sql);
  const streams: Record<string, SsfStream> = {};
  for (const name of transmitters) {
    const row = rows.get(name);
    streams[name] = {
      stream_id: row?.stream_id ?? null,
      status: STREAM_STATUSES.find((status) => status === row?.status) ?? null,
      reason: row?.reason ?? null,
      status_at: isoOrNull(row?.status_at),
      status_received_at: isoOrNull(row?.status_received_at),
      status_unreadable: unreadableSince(row),
      verifications: row?.verifications ?? 0,
      last_verified_at: isoOrNull(row?.last_verified_at),
      held_sets: held.get(name) ?? null,
      poll:
        row?.poll_at == null
          ? null
          : {
              last_at: new Date(row.poll_at).toISOString(),
              last_ok_at: isoOrNull(row.poll_ok_at),
              last_error: row.poll_error,
              sets_received: row.polled_sets,
            },
      jti_conflicts: conflicts.get(name) ?? null,
    };
  }
  return streams;
}

/** The last unreadable stream-updated, unless a readable status was issued after it. */
function unreadableSince(row: StreamRow | undefined): SsfStream["status_unreadable"] {
  if (row?.unreadable_at == null || row.unreadable_received_at == null || row.unreadable_detail == null) return null;
  if (row.status_at !== null && row.status_at > row.unreadable_at) return null;
  return {
    issued_at: new Date(row.unreadable_at).toISOString(),
    received_at: new Date(row.unreadable_received_at).toISOString(),
    detail: row.unreadable_detail,
  };
}

/** What /healthz says about the streams: one that delivers nothing (paused, disabled), a failing poll, held SETs. */
export function streamNotes(sql: SqlStorage, transmitters: Iterable<string>): string[] {
  const notes: string[] = [];
  for (const [name, stream] of Object.entries(ssfStreams(sql, transmitters))) {
    if (stream.status === "paused" || stream.status === "disabled") {
      const why = stream.reason ? ` (${stream.reason})` : "";
      notes.push(
        `SSF_TRANSMITTERS: ${name}'s stream is ${stream.status} since ${stream.status_at}${why}; it delivers no events until it is enabled again`,
      );
    }
    if (stream.status_unreadable) {
      notes.push(
        `SSF_TRANSMITTERS: ${name} said its stream changed status at ${stream.status_unreadable.issued_at}, but ${stream.status_unreadable.detail}; it may be paused or disabled: check it at the transmitter`,
      );
    }
    if (stream.poll?.last_error) notes.push(`SSF_TRANSMITTERS: polling ${name} failed at ${stream.poll.last_at}: ${stream.poll.last_error}`);
    if (stream.held_sets) {
      notes.push(
        `SSF_TRANSMITTERS: ${stream.held_sets.count} SET(s) from ${name} held since ${stream.held_sets.oldest_received_at}: its keys could not be fetched; they are checked every minute`,
      );
    }
  }
  return notes;
}
