// What the Worker keeps of the Google Workspace channel it manages (connections/google-channel/): the kind's
// state in the ledger's record of connections, read back by the kind on its next run and by POST
// /webhooks/google, which accepts a delivery only with the token of a channel named here.
// - next: the channel about to be created (its id and fresh random token), kept one run before the watch
//   request, so the receiver already knows the token when Google's first message (sync) arrives.
// - current: the channel Google delivers on; previous: the one it replaced, accepted until it is stopped
//   (the run after the new one is recorded) or expires, so no window is uncovered.
// What an operator sees of it (channelDetails): ids and the expiration, never a token.
// Contract: pure; a state that does not parse is no state (the kind starts over, the receiver accepts nothing).
import * as z from "zod/mini";
import type { ConnectionDetails } from "./connections";

const ChannelSchema = z.object({
  id: z.string().check(z.maxLength(200)),
  resource_id: z.string().check(z.maxLength(500)),
  token: z.string().check(z.minLength(16), z.maxLength(256)),
  created_at: z.number(),
  /** Milliseconds since the epoch, as Google answered it. */
  expiration: z.number(),
});
export type GoogleChannel = z.infer<typeof ChannelSchema>;

const GoogleChannelStateSchema = z.object({
  next: z.nullable(z.object({ id: z.string().check(z.maxLength(200)), token: z.string().check(z.minLength(16), z.maxLength(256)) })),
  current: z.nullable(ChannelSchema),
  previous: z.nullable(ChannelSchema),
});
export type GoogleChannelState = z.infer<typeof GoogleChannelStateSchema>;

const EMPTY_CHANNEL_STATE: GoogleChannelState = { next: null, current: null, previous: null };

/** The kept state (parsed JSON or its text), or the empty one. */
export function readChannelState(kept: unknown): GoogleChannelState {
  let value = kept;
  if (typeof kept === "string") {
    try {
      value = JSON.parse(kept);
    } catch {
      return EMPTY_CHANNEL_STATE;
    }
  }
  const parsed = GoogleChannelStateSchema.safeParse(value);
  return parsed.success ? parsed.data : EMPTY_CHANNEL_STATE;
}

/** What /v1/stats shows of the channel: the current one's id and expiration, the replaced one's id until it is stopped. */
export function channelDetails(state: GoogleChannelState): ConnectionDetails {
  return {
    channel_id: state.current?.id ?? null,
    expires_at: state.current === null ? null : new Date(state.current.expiration).toISOString(),
    previous_channel_id: state.previous?.id ?? null,
  };
}

/**
 * The channel tokens a delivery may carry at `now`: the current channel's, the one it replaced (until stopped),
 * the next one's. A channel past its expiration is no channel (Google delivers on it no more), so its token
 * is refused at once, not only once the next run drops it.
 */
export function acceptedChannelTokens(state: GoogleChannelState, now: number): string[] {
  const live = [state.current, state.previous].flatMap((channel) => (channel !== null && channel.expiration > now ? [channel.token] : []));
  return state.next ? [...live, state.next.token] : live;
}
