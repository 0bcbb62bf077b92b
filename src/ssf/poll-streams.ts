// Poll delivery (RFC 8936) for the transmitters configured with `poll`: the Cron Trigger's step, every minute.
// One run per transmitter: poll → each SET through exactly the push's verification (acceptToken, with the
// clock at its arrival, which is now) → commit (commit-set.ts) → acknowledge it in the next request; a
// refused SET is reported in setErrs with RFC 8935's err code (§2.4 of 8936 uses the same). While the
// transmitter says moreAvailable, poll again, at most POLLS_PER_RUN requests; the run ends with one request
// that only acknowledges (maxEvents 0, §2.4 "acknowledge only").
// - A SET that cannot be checked because the keys cannot be fetched is neither acknowledged nor reported:
//   the transmitter keeps it and hands it out again (§2.4: unacknowledged SETs are delivered again).
// - Acknowledgements lost with a failed request cost only a redelivery, which the ledger answers as the
//   duplicate of the first by jti: an acknowledgement is never sent before the SET is in the ledger.
// - A SET whose verified jti differs from the key it was delivered under is refused (invalid_request): the
//   acknowledgement names the key, and the ledger de-duplicates by the jti.
// - A SET whose stream-updated status cannot be read is recorded, then reported invalid_request, as a push is.
// - Each run's outcome (when, the error, how many SETs) is recorded in the ledger for /v1/stats.
// Authorization: with poll.token_endpoint, an OAuth access token by the client credentials grant
// (poll-token.ts; the client secret in SSF_POLL_CLIENT_SECRET_<NAME>), a cached one replaced at most once a
// run when the endpoint answers 401;
// otherwise the secret SSF_POLL_AUTH_<NAME> is the header value sent (a bare token is sent as Bearer), none
// when unset. First lines only: a rotation list makes no sense for a credential we present.
// Contract: never throws for a transmitter's failure or the ledger's (each is recorded as the run's error,
// and the other transmitters are still polled). A run that left SETs unchecked records why as its error.
import { configFor, type SsfSecrets } from "../config";
import { type SsfTransmitter, ssfPollClientSecretVariable } from "../domain/ssf/transmitters";
import { ledgerFor } from "../ledger/client";
import { logEvent } from "../log";
import { commitSet } from "./commit-set";
import { jwksCacheFor, pollTokenSourceFor, ssfDeps } from "./jwks-registry";
import { type PollRequest, type PollResult, pollSets } from "./poll";
import { acceptToken } from "./receive-set";
import type { SetErrorCode } from "./verify-set";

const POLLS_PER_RUN = 5;

type PollRun = { transmitter: string; received: number; acknowledged: number; refused: number; kept: number; error: string | null };

/** Polls every transmitter configured with `poll`, one after another; answers each run's tally. */
export async function pollTransmitters(env: Env): Promise<PollRun[]> {
  const result = configFor(env);
  if (!result.ok) return [];
  const runs: PollRun[] = [];
  for (const [name, transmitter] of result.config.ssfTransmitters) {
    if (transmitter.poll === null) continue;
    let run: PollRun;
    try {
      run = await pollOnce(env, name, transmitter, transmitter.poll, result.config.ssfSecrets.get(name));
    } catch (error) {
      // The ledger failed mid-run (commitSet): nothing unacknowledged is lost, the transmitter hands it out again.
      run = { transmitter: name, received: 0, acknowledged: 0, refused: 0, kept: 0, error: `ledger: ${String(error).slice(0, 200)}` };
    }
    logEvent(run.error === null ? "ssf.polled" : "ssf.poll_failed", run);
    await ledgerFor(env)
      .ssf()
      .recordPollRun(name, run.received, run.error)
      .catch((error: unknown) => logEvent("ssf.poll_record_failed", { transmitter: name, error: String(error) }));
    runs.push(run);
  }
  return runs;
}

async function pollOnce(
  env: Env,
  name: string,
  transmitter: SsfTransmitter,
  poll: NonNullable<SsfTransmitter["poll"]>,
  secrets: SsfSecrets | undefined,
): Promise<PollRun> {
  const run: PollRun = { transmitter: name, received: 0, acknowledged: 0, refused: 0, kept: 0, error: null };
  const send = pollSender(name, poll, secrets);
  if (typeof send === "string") {
    run.error = send;
    return run;
  }
  let ack: string[] = [];
  let setErrs: Record<string, { err: SetErrorCode; description: string }> = {};
  for (let request = 0; request < POLLS_PER_RUN; request++) {
    const polled = await send({ ack, setErrs, maxEvents: poll.maxEvents });
    if (!polled.ok) {
      run.error = `poll: ${polled.detail}`;
      return run;
    }
    run.acknowledged += ack.length;
    run.refused += Object.keys(setErrs).length;
    ack = [];
    setErrs = {};
    for (const [key, token] of polled.sets) {
      run.received++;
      const checked = await acceptToken(token, {
        transmitterName: name,
        transmitter,
        jwks: jwksCacheFor(name, transmitter),
        now: ssfDeps().now(),
      });
      if (checked.kind === "accepted" && checked.jti !== key) {
        setErrs[key] = { err: "invalid_request", description: "the SET's jti is not the key it was delivered under" };
      } else if (checked.kind === "accepted") {
        await commitSet(env, name, checked);
        if (checked.unreadable === null) ack.push(key);
        else setErrs[key] = { err: "invalid_request", description: `${checked.unreadable}; the SET was recorded` };
      } else if (checked.unverifiedToken !== null) {
        run.kept++;
      } else {
        setErrs[key] = checked.body;
        logEvent("ssf.rejected", { transmitter: name, delivery: "poll", err: checked.body.err, detail: checked.detail });
      }
    }
    if (!polled.moreAvailable) break;
  }
  if (ack.length + Object.keys(setErrs).length > 0) {
    const final = await send({ ack, setErrs, maxEvents: 0 });
    if (!final.ok) run.error = `acknowledgement: ${final.detail}`;
    else {
      run.acknowledged += ack.length;
      run.refused += Object.keys(setErrs).length;
    }
  }
  // SETs left with the transmitter because they could not be checked: not a healthy run, and /healthz says so.
  if (run.error === null && run.kept > 0) {
    run.error = `${run.kept} SET(s) could not be checked (their key could not be fetched, or not yet); left with the transmitter for the next poll`;
  }
  return run;
}

type PollSender = (request: Pick<PollRequest, "ack" | "setErrs" | "maxEvents">) => Promise<PollResult | { ok: false; detail: string }>;

/**
 * How this transmitter's poll requests are sent and authorised: with an OAuth access token (poll-token.ts),
 * a cached one replaced at most once a run when the endpoint answers 401, or with SSF_POLL_AUTH_<NAME>'s first value (a bare
 * token is sent as a Bearer token), or with no Authorization at all. A string: why it cannot poll.
 */
function pollSender(name: string, poll: NonNullable<SsfTransmitter["poll"]>, secrets: SsfSecrets | undefined): PollSender | string {
  const base = { endpoint: poll.endpoint, fetch: ssfDeps().fetch };
  if (poll.oauth === null) {
    const value = secrets?.pollAuth ?? null;
    const authorization = value === null ? null : /\s/.test(value) ? value : `Bearer ${value}`;
    return (request) => pollSets({ ...base, authorization, ...request });
  }
  const secret = secrets?.pollClientSecret ?? null;
  if (secret === null) return `${ssfPollClientSecretVariable(name)} is not set: no poll token can be obtained`;
  const tokens = pollTokenSourceFor(name, { ...poll.oauth, clientSecret: secret });
  let renewed = false;
  return async (request) => {
    for (;;) {
      const token = await tokens.authorization();
      if (!token.ok) return token;
      const polled = await pollSets({ ...base, authorization: token.authorization, ...request });
      if (polled.ok || polled.status !== 401) return polled;
      tokens.invalidate();
      // A cached token refused (revoked or rotated before it expired): one new token, once a run. A token
      // just issued and refused is the transmitter's verdict on these credentials: no second try.
      if (token.fresh || renewed) return polled;
      renewed = true;
    }
  };
}
