// The managed-connection kind for the Google Workspace channel (issue #20): with GOOGLE_SERVICE_ACCOUNT_KEY,
// the Worker keeps an Admin SDK Reports API watch channel for the `admin` application pointing at
// PUBLIC_URL/webhooks/google (developers.google.com/admin-sdk/reports/v1/guides/push), and renews it before it
// expires, so no window is uncovered:
// 1. A channel is due when there is none, or less than half of its lifetime is left (the lifetime Google
//    granted for the GOOGLE_CHANNEL_TTL_SECONDS asked, which it may shorten). The
//    run that finds one due only prepares it: a fresh channel id and random token, kept in the state (no
//    call). The receiver accepts that token from then on (domain/google-channel.ts), so Google's first
//    message on the new channel, which it sends as the channel is created, is not refused.
// 2. The next run creates it (activities.watch, with the token and the expiration asked for): a new channel
//    first; the old one stays `previous`, still accepted. An answer whose expiration is already past is
//    failing (the channel delivers nothing) and a new channel is prepared again: retried.
// 3. The run after that stops the old channel (channels.stop; a 404 means Google already dropped it), and
//    from then on its token is refused. A previous channel past its expiration is dropped without a call.
// Access tokens by the JWT bearer grant (RFC 7523 §2.1; google-token.ts). Calls: at most 3 a run (token,
// watch or stop); most runs make none. Every answer carries the channels' details for /v1/stats (channelDetails:
// ids and expiration, never a token).
// Contract: never throws; a failure answers the state so far.

import type { ConnectionEvent } from "../../domain/connections";
import { channelDetails, type GoogleChannel, type GoogleChannelState, readChannelState } from "../../domain/google-channel";
import type { ConnectionKind, MaintainContext, MaintainResult } from "../kind";
import { googleAccessToken } from "./google-token";
import { stopChannel, watchAdminActivities } from "./reports-api";

const MAX_CALLS = 3;

export const googleChannelKind: ConnectionKind = {
  kind: "google-channel",
  maxCalls: MAX_CALLS,
  connections: (config) => (config.googleChannel === null ? [] : ["google"]),
  maintain: async (context) => {
    const result = await maintainChannel(context);
    // Every answer shows the channels as they now stand (the state answered, or the one kept): ids, never tokens.
    return { ...result, details: channelDetails(readChannelState(result.state ?? context.state)) };
  },
};

function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

const iso = (ms: number) => new Date(ms).toISOString();

async function maintainChannel(context: MaintainContext): Promise<MaintainResult> {
  const settings = context.config.googleChannel;
  if (settings === null) return { verdict: "failing", error: "GOOGLE_SERVICE_ACCOUNT_KEY is not set" };
  const now = context.now();
  let state: GoogleChannelState = readChannelState(context.state);
  const changes: ConnectionEvent[] = [];
  const failing = (error: string): MaintainResult => ({ verdict: "failing", error, changes, state });

  // A replaced channel past its expiration delivers nothing more: forgotten, no call.
  if (state.previous !== null && state.previous.expiration <= now) state = { ...state, previous: null };

  if (state.next !== null) {
    const token = await googleAccessToken(settings, context);
    if (!token.ok) return failing(token.error);
    const requested = now + settings.ttlSeconds * 1000;
    const created = await watchAdminActivities(context, settings, token.value, {
      id: state.next.id,
      token: state.next.token,
      address: `${context.publicUrl}/webhooks/google`,
      expiration: requested,
    });
    if (!created.ok) return failing(created.error);
    const channel: GoogleChannel = {
      id: state.next.id,
      resource_id: created.value.resourceId,
      token: state.next.token,
      created_at: now,
      expiration: created.value.expiration,
    };
    if (channel.expiration <= now) {
      // Useless: it delivers nothing. Prepare another for the next run.
      state = { ...state, next: fresh(context) };
      return failing(
        `Google created channel ${channel.id} with an expiration already past (${iso(channel.expiration)}); a new one is created next run`,
      );
    }
    const replaced = state.current;
    state = { next: null, current: channel, previous: replaced ?? state.previous };
    changes.push({
      change: replaced === null ? "created" : "renewed",
      detail: `channel ${channel.id} watches admin activities until ${iso(channel.expiration)}${replaced === null ? "" : `, replacing ${replaced.id} (stopped next run)`}`,
    });
    return { verdict: "ok", proof: `Google accepted channel ${channel.id} (until ${iso(channel.expiration)})`, changes, state };
  }

  if (state.previous !== null && state.current !== null) {
    const token = await googleAccessToken(settings, context);
    if (!token.ok) return failing(token.error);
    const old = state.previous;
    const stopped = await stopChannel(context, settings, token.value, old);
    if (!stopped.ok)
      return failing(`the replaced channel ${old.id} could not be stopped (its token stays accepted until it is, or expires): ${stopped.error}`);
    state = { ...state, previous: null };
    changes.push({ change: "stopped", detail: `channel ${old.id} stopped; its token is refused from now on` });
    return { verdict: "ok", changes, state };
  }

  const current = state.current;
  // Half of the lifetime Google granted (it may grant less than was asked).
  const renewAt = current === null ? now : current.created_at + (current.expiration - current.created_at) / 2;
  if (now < renewAt) return { verdict: "idle", state };
  state = { ...state, next: fresh(context) };
  if (current !== null && current.expiration <= now) {
    return failing(`channel ${current.id} expired at ${iso(current.expiration)} before it was renewed; a new one is created next run`);
  }
  return { verdict: "idle", state };
}

/** A channel to create: an id and a random token no one else knows (32 bytes, hex). */
function fresh(context: MaintainContext): NonNullable<GoogleChannelState["next"]> {
  return { id: `revoker-${hex(context.random(12))}`, token: hex(context.random(32)) };
}
