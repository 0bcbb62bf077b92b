// audit export: the audit log's full entries over a time range, as NDJSON or CSV on stdout, for auditors.
// The API pages by X-Next-Cursor (and writes the CSV header, or the chain export's first line, on the first
// page only), so --all is the pages one after the other.
// audit verify: checks a chain export (chain-check.ts), from a file or straight from the Worker, and names
// the first entry that does not hold. Exit 0 when the chain holds, 4 when it does not, 5 when a pinned head
// is newer than the run (written less than a minute before the export: KV does not show it yet).
import { readFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import type { ChainBreak } from "../../src/domain/audit-chain.ts";
import { CheckFailure, type CheckReport, checkExport, compareWithLedger, lookUpPending, parseChainExport } from "../chain-check.ts";
import { CliFailure, EXIT, usageFailure } from "../errors.ts";
import type { Session } from "../session.ts";
import { sessionOf } from "../session.ts";
import { positiveInteger } from "./revocations.ts";

type ExportOptions = { from: string; to?: string; format: string; kind?: string; limit?: number; cursor?: string; all?: boolean };
type VerifyOptions = { worker?: boolean; head?: string; from?: string };

/** Every page of an export, as text. */
async function exportText(session: Session, query: Record<string, string | number | undefined>, onPage?: (text: string) => void): Promise<string> {
  let cursor = query.cursor as string | undefined;
  let text = "";
  do {
    const answer = await session.api.request<undefined>("GET", "/v1/audit/export", { query: { ...query, cursor } });
    if (onPage) onPage(answer.text);
    else text += answer.text;
    cursor = answer.headers.get("x-next-cursor") ?? undefined;
  } while (cursor);
  return text;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command("audit").summary("the audit log: export it, verify its chain");
  audit
    .command("export")
    .summary("full audit entries between two times, to stdout")
    .requiredOption("--from <time>", "ISO 8601 start, e.g. 2026-05-01T00:00:00Z")
    .option("--to <time>", "ISO 8601 end (default: now)")
    .addOption(new Option("--format <format>", "output format").choices(["ndjson", "csv"]).default("ndjson"))
    .addOption(
      new Option(
        "--kind <kind>",
        "outcomes of revocations, refused deliveries, operator actions, changes of managed connections, finished sweeps, or every entry in chain order (what `audit verify` checks)",
      ).choices(["outcomes", "rejected", "actions", "connections", "sweeps", "chain"]),
    )
    .option("--limit <n>", "audit entries read per page (the API allows up to 1000)", positiveInteger)
    .option("--cursor <cursor>", "continue from a previous page (X-Next-Cursor)")
    .option("--all", "follow X-Next-Cursor to the last page")
    .action(async function exportAudit(options: ExportOptions, command: Command) {
      const session = sessionOf(command);
      const query = { from: options.from, to: options.to, format: options.format, kind: options.kind, limit: options.limit, cursor: options.cursor };
      if (options.all) {
        await exportText(session, query, (page) => process.stdout.write(page));
        return;
      }
      const answer = await session.api.request<undefined>("GET", "/v1/audit/export", { query });
      process.stdout.write(answer.text);
      const cursor = answer.headers.get("x-next-cursor");
      if (cursor) process.stderr.write(`more: --cursor ${cursor} (or --all)\n`);
    });

  audit
    .command("verify")
    .summary("check the audit chain: an export file (audit export --kind chain --all), or the Worker's own")
    .argument("[file]", "a chain export (NDJSON); without it, the chain is exported from the Worker now and checked against it")
    .option("--worker", "also compare every hash with the one the Worker's ledger sealed (the chain id too)")
    .option("--head <hash>", "a chain head pinned earlier (a report's, or /v1/stats'): it must be in the run")
    .option("--from <time>", "without a file: the start of the period to export (default: everything KV still keeps)")
    .action(async function verifyAudit(file: string | undefined, options: VerifyOptions, command: Command) {
      if (options.head !== undefined && !/^[0-9a-f]{64}$/.test(options.head)) throw usageFailure("--head is a chain hash: 64 lower-case hex digits");
      const session = sessionOf(command);
      let text: string;
      if (file === undefined) {
        text = await exportText(session, { kind: "chain", from: options.from ?? new Date(0).toISOString(), limit: 1000 });
      } else {
        if (options.from !== undefined) throw usageFailure("--from exports from the Worker: give it without a file");
        text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
          throw usageFailure(`cannot read ${file}: ${error.code === "ENOENT" ? "no such file" : error.message}`);
        });
      }
      let report: CheckReport;
      try {
        const parsed = parseChainExport(text);
        report = await checkExport(parsed, options.head, file === undefined);
        if (file === undefined || options.worker) {
          const difference = await compareWithLedger(session.api, parsed);
          if ("pending" in report && !difference) report = await lookUpPending(session.api, report);
          if (difference && (report.ok || "pending" in report || difference.position <= report.broken.position)) {
            report = {
              ok: false,
              chain_id: report.chain_id,
              verified: Math.max(0, difference.position - 1),
              broken: difference,
              notes: report.notes,
            };
          }
        }
      } catch (error) {
        if (error instanceof CheckFailure) throw new CliFailure(EXIT.check, `${file ?? "the export"}: ${error.message}`);
        throw error;
      }
      if (session.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(`${verifyView(report)}\n`);
      if (!report.ok) process.exitCode = "pending" in report ? EXIT.pending : EXIT.check;
    });
}

function breakView(broken: ChainBreak): string {
  return `first broken entry: ${broken.seq === null ? "(none: the run as a whole)" : `seq ${broken.seq}`}${broken.key ? ` ${broken.key}` : ""}\n  ${broken.message}`;
}

function verifyView(report: CheckReport): string {
  const notes = report.notes.map((note) => `note: ${note}`);
  if ("pending" in report)
    return [`NOT YET: chain ${report.chain_id}: ${report.verified} entries verified; ${report.pending.message}`, ...notes].join("\n");
  if (!report.ok)
    return [`BROKEN: chain ${report.chain_id}: ${report.verified} entries verified before the break`, breakView(report.broken), ...notes].join("\n");
  const run = report.first_seq === null ? "no entries" : `seq ${report.first_seq} to ${report.last_seq} (${report.count} entries)`;
  return [`ok: chain ${report.chain_id}: ${run} verified`, ...(report.head_hash ? [`head: ${report.head_hash}`] : []), ...notes].join("\n");
}
