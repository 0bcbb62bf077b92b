// The tables ssf/ alone writes: what the Shared Signals receiver keeps. Each entry below is this folder's
// part of one version of the ledger's ordered migrations (migrations.ts); never edit one that has shipped,
// add a new version.

export const SSF_MIGRATIONS = {
  // ssf_streams: one row per transmitter: the status its last stream-updated event gave (with the reason,
  // and status_at, the SET's iat, so a late or replayed older SET cannot overwrite a newer status), and how
  // many verification events arrived, the last at last_verified_at (streams.ts).
  v5: `
CREATE TABLE IF NOT EXISTS ssf_streams (
  transmitter TEXT PRIMARY KEY,
  stream_id TEXT,
  status TEXT,
  reason TEXT,
  status_at INTEGER,
  status_received_at INTEGER,
  verifications INTEGER NOT NULL DEFAULT 0,
  last_verified_at INTEGER
);
`,
  // held_sets: Security Event Tokens held while their transmitter's keys could not be fetched (held-sets.ts),
  // unique per transmitter and token digest so a redelivery is the same held SET.
  v7: `
CREATE TABLE IF NOT EXISTS held_sets (
  id INTEGER PRIMARY KEY,
  transmitter TEXT NOT NULL,
  digest TEXT NOT NULL,
  token TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_detail TEXT,
  UNIQUE (transmitter, digest)
);
CREATE INDEX IF NOT EXISTS held_sets_due ON held_sets (next_attempt_at);
`,
  // Poll delivery (RFC 8936): each poll run of a transmitter records when it ran, when it last succeeded, its
  // last error and how many SETs it received in all, so a stream that stopped polling shows.
  v8: `
ALTER TABLE ssf_streams ADD COLUMN poll_at INTEGER;
ALTER TABLE ssf_streams ADD COLUMN poll_ok_at INTEGER;
ALTER TABLE ssf_streams ADD COLUMN poll_error TEXT;
ALTER TABLE ssf_streams ADD COLUMN polled_sets INTEGER NOT NULL DEFAULT 0;
`,
  // A stream-updated event whose status could not be read (no status, an unknown one), kept with its SET's
  // iat, so a stream that may be paused shows in /v1/stats and /healthz (streams.ts).
  v13: `
ALTER TABLE ssf_streams ADD COLUMN unreadable_at INTEGER;
ALTER TABLE ssf_streams ADD COLUMN unreadable_received_at INTEGER;
ALTER TABLE ssf_streams ADD COLUMN unreadable_detail TEXT;
`,
  // ssf_set_digests: what each transmitter's jti said (the digest of its SET's sub_id and events), kept for
  // the SETs that asked for revocations; ssf_jti_conflicts: the jtis reused for a SET that says something
  // else (jti.ts).
  v14: `
CREATE TABLE IF NOT EXISTS ssf_set_digests (
  transmitter TEXT NOT NULL,
  jti TEXT NOT NULL,
  digest TEXT NOT NULL,
  first_at INTEGER NOT NULL,
  PRIMARY KEY (transmitter, jti)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ssf_jti_conflicts (
  transmitter TEXT NOT NULL,
  jti TEXT NOT NULL,
  first_digest TEXT NOT NULL,
  digest TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (transmitter, jti, digest)
);
`,
} as const;
