// The secrets of a webhook source whose channel the Worker keeps itself (Google with a service account;
// connections/google-channel/): the tokens of the channels its managed connection's state names
// (domain/google-channel.ts), read from the ledger for each delivery, so a renewal or a stop is honoured at once;
// a channel past its expiration at the delivery's `now` has no token any more.
// Contract: no channel yet, or a state that does not parse, is no token (every delivery refused); a ledger
// that cannot answer is ledger_unavailable (503), as the delivery's commit would be.
import { acceptedChannelTokens, readChannelState } from "../domain/google-channel";
import { onLedger } from "../http/ledger";

export async function channelTokens(env: Env, connection: string, now: number): Promise<string[]> {
  const kept = await onLedger(env, (ledger) => ledger.connections().state(connection), "the delivery");
  return acceptedChannelTokens(readChannelState(kept), now);
}
