// `ledger.reports()`: the offboarding report as an RPC target of the ledger. The summary fixes the period's
// through_seq; each page of rows is asked for with it, so a report read page by page stays one report.
import { RpcTarget } from "cloudflare:workers";
import type { OffboardingRow, OffboardingSummary } from "../../domain/offboarding-report";
import type { LedgerCore } from "../core";
import { currentSeq, offboardingRows, offboardingSummary, type ReportPeriod, type RowCursor } from "../revocations/offboarding";

export class ReportsRpc extends RpcTarget {
  constructor(private readonly core: LedgerCore) {
    super();
  }

  /** The period's summary as of now (throughSeq: the newest revocation, unless a first page fixed it already). */
  async summary(range: { from: number; to: number; throughSeq?: number }, thresholdMs: number): Promise<OffboardingSummary> {
    const period = { from: range.from, to: range.to, throughSeq: range.throughSeq ?? currentSeq(this.core.sql) };
    return offboardingSummary(this.core.sql, period, thresholdMs, this.core.now());
  }

  async rows(period: ReportPeriod, after: RowCursor | null, limit: number): Promise<{ rows: OffboardingRow[]; next: RowCursor | null }> {
    return offboardingRows(this.core.sql, period, after, limit);
  }
}
