// sources and alerts: is every identity provider still delivering, is every managed connection alive, and do
// alerts reach a person (`alerts test`).
import type { Command } from "commander";
import type { AlertTest, Stats } from "../../src/domain/views.ts";
import { EXIT } from "../errors.ts";
import { alertTestView, sourcesView } from "../liveness.ts";
import { sessionOf } from "../session.ts";

export function registerSourceCommands(program: Command): void {
  program
    .command("sources")
    .summary("every configured source: last accepted and refused delivery, silence, managed connection")
    .action(async function showSources(_options: unknown, command: Command) {
      const session = sessionOf(command);
      const answer = await session.api.request<Stats>("GET", "/v1/stats");
      // --json prints the API's `sources` object alone.
      if (session.json) process.stdout.write(`${JSON.stringify(answer.body.sources)}\n`);
      else session.say(sourcesView(answer.body.sources, session.now()));
    });

  const alerts = program.command("alerts").summary("alerts to ALERT_WEBHOOK_URL (alerts test sends one)");
  alerts
    .command("test")
    .summary("send a test alert now through the ledger's outbox; says whether it was delivered")
    .action(async function sendTestAlert(_options: unknown, command: Command) {
      const session = sessionOf(command);
      const answer = await session.api.request<AlertTest>("POST", "/v1/alerts/test");
      session.show(answer, alertTestView);
      // Not delivered (202): a script must not take the channel for working.
      if (answer.body.state !== "sent") process.exitCode = EXIT.api;
    });
}
