// stats and holds: how the drain is doing (pace, lanes, pauses, holds, time to revoke, follow-ups).
import type { Command } from "commander";
import type { ClearedHold, Hold, Stats } from "../../src/domain/views.ts";
import { usageFailure } from "../errors.ts";
import { SELF } from "../self.ts";
import { sessionOf } from "../session.ts";
import { clearedView, holdsView, statsView } from "../views.ts";

const TARGET = /^(accounts|zones)\/([^/\s]+)$/;

export function registerDrainCommands(program: Command): void {
  program
    .command("stats")
    .summary("the drain: pace, lanes, holds, pause, time to revoke, follow-ups")
    .action(async function showStats(_options: unknown, command: Command) {
      const session = sessionOf(command);
      const answer = await session.api.request<Stats>("GET", "/v1/stats");
      session.show(answer, (stats) => statsView(stats, session.now()));
    });

  const holds = program
    .command("holds")
    .summary("targets held after Cloudflare refused the API token (holds clear <target> to resume one)")
    .action(async function listHolds(_options: unknown, command: Command) {
      const session = sessionOf(command);
      const answer = await session.api.request<{ holds: Hold[] }>("GET", "/v1/holds");
      session.show(answer, (body) => holdsView(body.holds, session.now()));
    });

  holds
    .command("clear")
    .summary("end a target's hold now (once its token is fixed); audited")
    .argument("<target>", "accounts/<id> or zones/<id>, as `holds` shows it")
    .action(async function clearHold(target: string, _options: unknown, command: Command) {
      const match = TARGET.exec(target);
      if (!match) throw usageFailure(`a target is accounts/<id> or zones/<id>, as \`${SELF} holds\` shows it; not "${target}"`);
      const session = sessionOf(command);
      const answer = await session.api.request<ClearedHold>("DELETE", `/v1/holds/${match[1]}/${encodeURIComponent(match[2]!)}`);
      session.show(answer, clearedView);
    });
}
