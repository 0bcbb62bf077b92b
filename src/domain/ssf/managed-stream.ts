// What the Worker keeps of a Shared Signals stream it manages (connections/ssf-stream/, SSF 1.0 §7): the kind's
// state in the ledger's record of connections, read back by the kind on its next run and by the receiving
// route, which counts a verification event (§8.1.4.1) only when it carries the `state` last asked for; and
// what of it an operator sees (streamDetails): never the pending verification's `state`.
// Contract: pure; the type is the schema's; a state that does not parse is no state (the kind starts over).
import * as z from "zod/mini";
import type { ConnectionDetails } from "../connections";

const PendingVerificationSchema = z.object({
  /** The random `state` sent with the request (base64url of 16 bytes): a secret until it comes back. */
  state: z.string().check(z.minLength(16), z.maxLength(100)),
  requested_at: z.number(),
});

const ManagedStreamStateSchema = z.object({
  stream_id: z.nullable(z.string().check(z.maxLength(200))),
  /** When the stream's configuration and status were last read (and verification asked for). */
  checked_at: z.nullable(z.number()),
  /** The status the transmitter answered last (§7.1.2.1): enabled, paused, disabled. */
  status: z.nullable(z.string().check(z.maxLength(20))),
  /** When that status was read (absent from a state kept before it was recorded). */
  status_read_at: z.optional(z.nullable(z.number())),
  verification: z.nullable(PendingVerificationSchema),
  /** The last verification that came back: when it was asked for and received. */
  verified: z.nullable(z.object({ requested_at: z.number(), received_at: z.number() })),
});
export type ManagedStreamState = z.infer<typeof ManagedStreamStateSchema>;

export const EMPTY_STREAM_STATE: ManagedStreamState = {
  stream_id: null,
  checked_at: null,
  status: null,
  status_read_at: null,
  verification: null,
  verified: null,
};

const isoOrNull = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/**
 * What /v1/stats shows of the stream: its id, the status last read and when, the last verification requested
 * (pending or not) and the last received, with that one's round trip. Never the pending `state`: a secret
 * until the transmitter sends it back.
 */
export function streamDetails(state: ManagedStreamState): ConnectionDetails {
  return {
    stream_id: state.stream_id,
    status: state.status,
    status_read_at: isoOrNull(state.status_read_at),
    verification_requested_at: isoOrNull(state.verification?.requested_at ?? state.verified?.requested_at),
    verification_received_at: isoOrNull(state.verified?.received_at),
    round_trip_ms: state.verified === null ? null : state.verified.received_at - state.verified.requested_at,
  };
}

/** The kept state (parsed JSON or its text), or the empty one when there is none or it does not parse. */
export function readStreamState(kept: unknown): ManagedStreamState {
  let value = kept;
  if (typeof kept === "string") {
    try {
      value = JSON.parse(kept);
    } catch {
      return EMPTY_STREAM_STATE;
    }
  }
  const parsed = ManagedStreamStateSchema.safeParse(value);
  return parsed.success ? parsed.data : EMPTY_STREAM_STATE;
}
