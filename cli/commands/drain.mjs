// stats and holds: how the drain is doing (pace, lanes, pauses, holds, time to revoke, follow-ups).
import { usageFailure } from "../errors.mjs";
import { sessionOf } from "../session.mjs";
import { holdsView, statsView } from "../views.mjs";

const TARGET = /^(accounts|zones)\/([^/\s]+)$/;

/** @param {import("commander").Command} program */
export function registerDrainCommands(program) {
  program
    .command("stats")
    .summary("the drain: pace, lanes, holds, pause, time to revoke, follow-ups")
    .action(async function showStats(_options, command) {
      const session = sessionOf(command);
      const answer = await session.api.request("GET", "/v1/stats");
      session.show(answer, (stats) => statsView(stats, session.now()));
    });

  const holds = program
    .command("holds")
    .summary("targets held after Cloudflare refused the API token (holds clear <target> to resume one)")
    .action(async function listHolds(_options, command) {
      const session = sessionOf(command);
      const answer = await session.api.request("GET", "/v1/holds");
      session.show(answer, (body) => holdsView(body.holds, session.now()));
    });

  holds
    .command("clear")
    .summary("end a target's hold now (once its token is fixed); audited")
    .argument("<target>", "accounts/<id> or zones/<id>, as `holds` shows it")
    .action(async function clearHold(target, _options, command) {
      const match = TARGET.exec(target);
      if (!match) throw usageFailure(`a target is accounts/<id> or zones/<id>, as \`access-revoker holds\` shows it; not "${target}"`);
      const session = sessionOf(command);
      const answer = await session.api.request("DELETE", `/v1/holds/${match[1]}/${encodeURIComponent(match[2])}`);
      session.show(answer, (body) => `hold on ${body.cleared.target} cleared (it was held for: ${body.cleared.reason}); its calls go out again`);
    });
}
