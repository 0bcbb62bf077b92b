// The Recent revocations card, from GET /v1/revocations.
import type { RevocationRecord } from "../../domain/revocation";
import { byId, cell, fill, node } from "./dom";
import { clock, duration, label } from "./format";

const TONE: Record<string, string> = {
  revoked: "good",
  not_found: "quiet",
  dry_run: "quiet",
  queued: "busy",
  unresolved: "busy",
  failed: "bad",
  refused: "bad",
  invalid_email: "bad",
  still_active: "bad",
};

export function renderRevocations(records: RevocationRecord[]): void {
  byId("no-revocations").hidden = records.length > 0;
  byId("revocations-table").hidden = records.length === 0;
  fill(
    "revocations",
    records.map((record) => {
      const tr = node("tr");
      tr.append(
        cell(clock(record.received_at)),
        cell(record.email ?? "(unresolved)"),
        cell(record.source),
        cell(node("span", label(record.status), `badge ${TONE[record.status] ?? "quiet"}`)),
        cell(duration(record.time_to_revoke_ms), "number"),
        cell(record.last_error ?? "", "detail"),
      );
      return tr;
    }),
  );
}
