// `sources` (cli/liveness.ts): a managed connection's details (issue #20) under the table, indented, within 80
// columns, times as the CLI shows them; a connection without details adds nothing.
import { describe, expect, it } from "vitest";
import { sourcesView } from "../../cli/liveness.ts";
import type { SourceView } from "../../src/domain/views.ts";

const READ_AT = Date.parse("2026-12-07T13:00:00Z");

function managed(details: NonNullable<SourceView["connection"]>["details"]): SourceView {
  return {
    last_accepted_at: null,
    last_refused_at: null,
    silence_threshold_hours: null,
    silent: false,
    silent_since: null,
    connection: {
      kind: "ssf-stream",
      status: "ok",
      last_proof_at: "2026-12-07T12:00:02.400Z",
      last_proof: "verification event returned in 2.4 s",
      last_error: null,
      last_error_at: null,
      failing_since: null,
      last_run_at: "2026-12-07T12:59:00.000Z",
      created_at: "2026-12-07T12:00:00.000Z",
      renewed_at: null,
      repaired_at: null,
      ...(details === undefined ? {} : { details }),
    },
  };
}

describe("sources", () => {
  it("shows a stream's details indented under the table, each line within 80 columns", () => {
    const view = sourcesView(
      {
        "ssf-okta": managed({
          stream_id: "f67e39a0a4d34d56b3aa1bc4cff0069f",
          status: "enabled",
          status_read_at: "2026-12-07T12:00:00.000Z",
          verification_requested_at: "2026-12-07T12:00:00.000Z",
          verification_received_at: "2026-12-07T12:00:02.400Z",
          round_trip_ms: 2400,
        }),
      },
      READ_AT,
    );
    const lines = view.split("\n");
    const block = lines.slice(lines.indexOf("ssf-okta (ssf-stream):"));
    expect(block[0]).toBe("ssf-okta (ssf-stream):");
    expect(block.slice(1).join("\n")).toBe(
      [
        "  stream_id f67e39a0a4d34d56b3aa1bc4cff0069f  status enabled",
        "  status_read_at 2026-12-07 12:00:00 UTC",
        "  verification_requested_at 2026-12-07 12:00:00 UTC",
        "  verification_received_at 2026-12-07 12:00:02 UTC  round_trip_ms 2400",
      ].join("\n"),
    );
    for (const line of block) expect(line.length).toBeLessThanOrEqual(80);
  });

  it("adds nothing for a connection without details", () => {
    expect(sourcesView({ "ssf-okta": managed(undefined) }, READ_AT).split("\n")).toHaveLength(2);
  });
});
