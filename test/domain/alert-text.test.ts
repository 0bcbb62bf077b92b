// Alert sentences (domain/alerts.ts) around free text: an error that ends with its own period is not given a
// second one ("Network connection lost.. Its deliveries…" in the trial), and a recovered connection says it
// works again once ("works again: working again (failing since …)" in the trial).
import { describe, expect, it } from "vitest";
import { alertPayload } from "../../src/domain/alerts";
import { clause } from "../../src/domain/sentence";

const CONTEXT = { id: "alt_1", at: Date.parse("2026-12-07T13:00:00Z"), worker: null };

describe("alert sentences around an error's own punctuation", () => {
  it("does not double an error's final period", () => {
    const { alert } = alertPayload(
      { kind: "connection_failing", connection: "google", connection_kind: "google_channel", error: "Network connection lost." },
      CONTEXT,
    );
    expect(alert.summary).toBe(
      "The managed connection google (google_channel) is failing: Network connection lost. Its deliveries may have stopped.",
    );
    const failed = alertPayload(
      { kind: "revocation_failed", revocation_id: "rev_1", email: "a@example.com", source: "okta", error: "HTTP 500 from Cloudflare." },
      CONTEXT,
    );
    expect(failed.alert.summary).toContain("failed for good: HTTP 500 from Cloudflare.");
    expect(failed.alert.summary).not.toContain("..");
  });

  it("says a recovered connection works again once", () => {
    const { alert } = alertPayload(
      {
        kind: "connection_recovered",
        connection: "google",
        connection_kind: "google_channel",
        detail: "working again (failing since 2026-12-07T12:00:00.000Z): channel renewed",
      },
      CONTEXT,
    );
    expect(alert.summary).toBe(
      "The managed connection google (google_channel) is working again (failing since 2026-12-07T12:00:00.000Z): channel renewed.",
    );
  });

  it("keeps a clause's text but for its final period", () => {
    expect(clause("Network connection lost.")).toBe("Network connection lost");
    expect(clause("v1.2 refused")).toBe("v1.2 refused");
    expect(clause("gone... ")).toBe("gone");
  });
});
