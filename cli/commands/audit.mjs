// audit export: the audit log's full entries over a time range, as NDJSON or CSV, for auditors.
import { Option } from "commander";
import { sessionOf } from "../session.mjs";

/** @param {import("commander").Command} program */
export function registerAuditCommands(program) {
  const audit = program.command("audit").summary("the audit log");
  audit
    .command("export")
    .summary("full audit entries between two times, to stdout")
    .requiredOption("--from <time>", "ISO 8601 start, e.g. 2026-05-01T00:00:00Z")
    .requiredOption("--to <time>", "ISO 8601 end")
    .addOption(new Option("--format <format>", "output format").choices(["ndjson", "csv"]).default("ndjson"))
    .option("--cursor <cursor>", "continue from a previous page (X-Next-Cursor)")
    .option("--all", "follow X-Next-Cursor to the last page")
    .action(async function exportAudit(options, command) {
      const session = sessionOf(command);
      let cursor = options.cursor;
      let header;
      do {
        const answer = await session.api.request("GET", "/v1/audit/export", {
          query: { from: options.from, to: options.to, format: options.format, cursor },
        });
        let text = answer.text;
        // CSV pages may each start with the header line: print it once.
        if (options.format === "csv") {
          const firstLine = text.slice(0, text.indexOf("\n") + 1);
          if (header === undefined) header = firstLine;
          else if (firstLine === header) text = text.slice(firstLine.length);
        }
        process.stdout.write(text.length === 0 || text.endsWith("\n") ? text : `${text}\n`);
        cursor = answer.headers.get("x-next-cursor") ?? undefined;
        if (cursor && !options.all) process.stderr.write(`more: --cursor ${cursor} (or --all)\n`);
      } while (cursor && options.all);
    });
}
