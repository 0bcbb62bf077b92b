// How POST /webhooks/{source} verifies a delivery on a channel the Worker keeps itself (Google with a service
// account; connections/google-channel/): against the tokens of the channels its managed connection's state
// names (domain/google-channel.ts), read from the ledger and kept for the isolate, so a flood of forged
// deliveries does not cost a Durable Object call each (entra/known-secrets.ts does the same for Graph).
// - A delivery that verifies against the kept tokens is verified again against a fresh read: a renewal's stop
//   is honoured at once, and a genuine delivery costs the one ledger read it always did.
// - One that verifies against none asks for a fresh read at most once every REREAD_GATE_MS per isolate
//   (concurrent requests share the read in flight): forgeries cost at most one ledger read per gate interval,
//   while a channel recorded a moment ago is still recognised, because the next channel's token is recorded a
//   run (a minute) before Google is asked to create it, so any read within the gate already has it.
// - A channel past its expiration at the delivery's `now` has no token any more (checked on every delivery).
// Contract: no channel yet, or a state that does not parse, is no token (every delivery refused); a ledger
// that cannot answer is ledger_unavailable (503), as the delivery's commit would be.
import { acceptedChannelTokens, type GoogleChannelState, readChannelState } from "../domain/google-channel";
import { onLedger } from "../http/ledger";
import type { Verification } from "../sources/registry";

const REREAD_GATE_MS = 5_000;

const kept = new Map<string, { at: number; state: Promise<GoogleChannelState> }>();

function read(env: Env, connection: string, now: number): Promise<GoogleChannelState> {
  const state = onLedger(env, (ledger) => ledger.connections().state(connection), "the delivery").then(readChannelState);
  const entry = { at: now, state };
  kept.set(connection, entry);
  // A failed read is not kept: the next delivery reads again.
  state.catch(() => {
    if (kept.get(connection) === entry) kept.delete(connection);
  });
  return state;
}

/** `verify` checks the delivery against a list of tokens (the source's own constant-time verifier). */
export async function verifyOnChannel(
  env: Env,
  connection: string,
  now: number,
  verify: (tokens: string[]) => Promise<Verification>,
): Promise<Verification> {
  const entry = kept.get(connection);
  if (entry !== undefined) {
    const known = await entry.state.catch(() => null);
    const verdict = known === null ? null : await verify(acceptedChannelTokens(known, now));
    if (verdict !== null && !verdict.ok && now - entry.at < REREAD_GATE_MS) return verdict;
  }
  return verify(acceptedChannelTokens(await read(env, connection, now), now));
}

/** Tests: forget what is kept (a ledger changed behind the route). */
export function forgetChannelTokens(): void {
  kept.clear();
}
