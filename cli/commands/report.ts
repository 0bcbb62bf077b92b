// report: the offboarding evidence report of a period (issue #23, GET /v1/reports/offboarding). Without
// --format, its summary for a person; --format csv or html writes the Worker's report as it answered it (the
// whole period) to stdout, for a file; --format json writes every page of the API's JSON, one a line.
import { type Command, Option } from "commander";
import type { OffboardingReport, OffboardingSummary } from "../../src/domain/offboarding-report.ts";
import { fields } from "../format.ts";
import { sessionOf } from "../session.ts";

type ReportOptions = { from: string; to?: string; threshold?: string; format?: "json" | "csv" | "html" };

export function registerReportCommands(program: Command): void {
  program
    .command("report")
    .summary("the offboarding evidence report of a period: summary, or CSV / HTML / JSON to stdout")
    .requiredOption("--from <time>", "ISO 8601 start of the period (revocations received from then)")
    .option("--to <time>", "ISO 8601 end (default: now)")
    .option("--threshold <time>", "the time to revoke the summary counts within: seconds, or 90s, 5m, 1h (default 5m)")
    .addOption(new Option("--format <format>", "csv or html: the report as a file's content; json: the API's pages").choices(["json", "csv", "html"]))
    .action(async function offboardingReport(options: ReportOptions, command: Command) {
      const session = sessionOf(command);
      const query = { from: options.from, to: options.to, threshold: options.threshold };
      if (options.format === "csv" || options.format === "html") {
        const answer = await session.api.request<undefined>("GET", "/v1/reports/offboarding", { query: { ...query, format: options.format } });
        process.stdout.write(answer.text);
        return;
      }
      if (options.format === "json") {
        let cursor: string | undefined;
        do {
          const page = await session.api.request<OffboardingReport>("GET", "/v1/reports/offboarding", {
            query: { ...query, format: "json", cursor },
          });
          process.stdout.write(`${page.text.trim()}\n`);
          cursor = page.body.next_cursor ?? undefined;
        } while (cursor);
        return;
      }
      const answer = await session.api.request<OffboardingReport>("GET", "/v1/reports/offboarding", {
        query: { ...query, format: "json", limit: 1 },
      });
      session.show(answer, (report) => summaryView(report.summary));
    });
}

function summaryView(summary: OffboardingSummary): string {
  const ttr = summary.time_to_revoke;
  const ms = (value: number | null) => (value === null ? "–" : `${value} ms`);
  const head = summary.audit_chain.head;
  const failures = summary.failures;
  return fields([
    ["period", `${summary.from} to ${summary.to}`],
    ["generated", summary.generated_at],
    ["audit chain", `${summary.audit_chain.chain_id}, head ${head ? `seq ${head.seq} ${head.hash}` : "none"}`],
    ["revocations", `${summary.count} (${summary.people} people)`],
    [
      "by status",
      Object.entries(summary.by_status)
        .map(([status, n]) => `${status} ${n}`)
        .join(", ") || "none",
    ],
    ["time to revoke", `p50 ${ms(ttr.p50_ms)}, p95 ${ms(ttr.p95_ms)}, max ${ms(ttr.max_ms)} (${ttr.count})`],
    [`within ${summary.threshold_ms / 1000} s`, `${summary.within_threshold} of ${ttr.count}`],
    [
      "failures",
      `${failures.unresolved} unresolved${failures.unresolved > 0 ? ` (${failures.unresolved_ids.join(" ")})` : ""}, ${failures.resolved_after_retry} revoked after a failed attempt`,
    ],
    ["seats removed", summary.seats_removed],
    ["came back", `${summary.returns.found} (${summary.returns.acknowledged} acknowledged, ${summary.returns.revoked_again} revoked again)`],
    ["rows", "--format csv or html for the report itself, json for the API's pages"],
  ]);
}
