// connections sync [name]: the Cron Trigger's managed-connection step run now (POST /v1/connections/sync, or
// /v1/connections/{name}/sync): each SSF stream with `manage`, the Google channel and Entra's Graph
// subscription checked, created, repaired or renewed as due (not Entra's delta catch-up: that stays with the
// Cron), one line per connection with its verdict and error. `sources` shows their state.
// Exit 1 when any run it reports is failing, as `alerts test` does when its alert is not delivered: a script
// must not take a failing connection for working.
import type { Command } from "commander";
import { EXIT } from "../errors.ts";
import { sessionOf } from "../session.ts";

type SyncAnswer = { runs: { name: string; kind: string; verdict: string; error: string | null; calls: number }[] };

/** The exit code of a sync: 1 (as an API error) when any connection it ran is failing. */
export function syncExitCode(answer: SyncAnswer): number {
  return answer.runs.some((run) => run.verdict === "failing") ? EXIT.api : EXIT.ok;
}

function syncView(answer: SyncAnswer): string {
  if (answer.runs.length === 0) return "no managed connection is configured (an SSF transmitter with manage, GOOGLE_SERVICE_ACCOUNT_KEY)";
  return answer.runs
    .map((run) => {
      const calls = `${run.calls} call${run.calls === 1 ? "" : "s"}`;
      return `${run.name} (${run.kind}): ${run.verdict}, ${calls}${run.error === null ? "" : `: ${run.error}`}`;
    })
    .join("\n");
}

export function registerConnectionCommands(program: Command): void {
  const connections = program.command("connections").summary("the streams and channels the Worker keeps itself (connections sync)");
  connections
    .command("sync")
    .summary("check, create, repair or renew managed connections now, as the Cron does (audited there)")
    .argument("[name]", "one connection: ssf-<name> or google")
    .action(async function sync(name: string | undefined, _options: unknown, command: Command) {
      const session = sessionOf(command);
      const path = name === undefined ? "/v1/connections/sync" : `/v1/connections/${encodeURIComponent(name)}/sync`;
      const answer = await session.api.request<SyncAnswer>("POST", path);
      session.show(answer, syncView);
      if (syncExitCode(answer.body) !== EXIT.ok) process.exitCode = syncExitCode(answer.body);
    });
}
