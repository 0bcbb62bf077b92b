// audit export: the audit log's full entries over a time range, as NDJSON or CSV on stdout, for auditors.
// The API pages by X-Next-Cursor (and writes the CSV header on the first page only), so --all is the
// pages one after the other.
import { type Command, Option } from "commander";
import { sessionOf } from "../session.ts";
import { positiveInteger } from "./revocations.ts";

type ExportOptions = { from: string; to?: string; format: string; kind?: string; limit?: number; cursor?: string; all?: boolean };

export function registerAuditCommands(program: Command): void {
  const audit = program.command("audit").summary("the audit log");
  audit
    .command("export")
    .summary("full audit entries between two times, to stdout")
    .requiredOption("--from <time>", "ISO 8601 start, e.g. 2026-05-01T00:00:00Z")
    .option("--to <time>", "ISO 8601 end (default: now)")
    .addOption(new Option("--format <format>", "output format").choices(["ndjson", "csv"]).default("ndjson"))
    .addOption(
      new Option("--kind <kind>", "outcomes of revocations, refused deliveries, or operator actions").choices(["outcomes", "rejected", "actions"]),
    )
    .option("--limit <n>", "audit entries read per page (the API allows up to 1000)", positiveInteger)
    .option("--cursor <cursor>", "continue from a previous page (X-Next-Cursor)")
    .option("--all", "follow X-Next-Cursor to the last page")
    .action(async function exportAudit(options: ExportOptions, command: Command) {
      const session = sessionOf(command);
      let cursor = options.cursor;
      do {
        const answer = await session.api.request<undefined>("GET", "/v1/audit/export", {
          query: { from: options.from, to: options.to, format: options.format, kind: options.kind, limit: options.limit, cursor },
        });
        process.stdout.write(answer.text);
        cursor = answer.headers.get("x-next-cursor") ?? undefined;
        if (cursor && !options.all) process.stderr.write(`more: --cursor ${cursor} (or --all)\n`);
      } while (cursor && options.all);
    });
}
