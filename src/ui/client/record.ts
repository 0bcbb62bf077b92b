// One revocation in a dialog (GET /v1/revocations/{id}): every field, each target's calls, seat and
// verification, and its attempts; a failed one can be retried (POST …/retry) once confirmed. The dialog
// follows the record while it is open: each refresh reads it again.
import type { RevocationRecord, TargetResult } from "../../domain/revocation";
import { ApiError, api } from "./api";
import { confirmed } from "./confirm";
import { byId, cell, definitions, fill, headerRow, node, row, say } from "./dom";
import { clock, clockTimes, duration, label } from "./format";
import { badge } from "./revocations";

type Hooks = { reload: () => void; signedOut: (message: string) => void };

/** The record the dialog shows (its id from the moment it opens), null once it is closed. */
let shownId: string | null = null;
let shown: RevocationRecord | null = null;

const dialog = () => byId<HTMLDialogElement>("record-dialog");

/** "revoked at …: detail" from a follow-up's parts, leaving out what is null. */
function sentence(state: string, at: string | null, detail: string | null, more: string[] = []): string {
  return [label(state) + (at ? ` at ${clock(at)}` : ""), ...more, detail && clockTimes(detail)].filter(Boolean).join("; ");
}

function targetSection(result: TargetResult): HTMLElement {
  const section = node("section", null, "target");
  const heading = node("h3", `${result.target} `);
  heading.append(badge(result.state));
  const { seat, verification, request } = result;
  const list = node("dl");
  list.append(
    ...definitions([
      ["Attempts", String(result.attempts)],
      ["HTTP status", result.http_status === null ? null : String(result.http_status)],
      ["Completed", result.completed_at ? clock(result.completed_at) : null],
      [
        "Errors",
        result.errors.length > 0
          ? result.errors.map((error) => (error.code === null ? error.message : `${error.code} ${error.message}`)).join("; ")
          : null,
      ],
      ["Seat", seat ? sentence(seat.state, seat.at, seat.detail) : null],
      [
        "Verification",
        verification
          ? sentence(verification.state, verification.verified_at, verification.detail, [
              ...(verification.active_sessions === null ? [] : [`${verification.active_sessions} active sessions`]),
              ...(verification.last_successful_login ? [`last login ${clock(verification.last_successful_login)}`] : []),
              ...(verification.re_revocation ? [`re-revocation ${label(verification.re_revocation)}`] : []),
            ])
          : null,
      ],
      ["Would have sent", request ? `${request.method} ${request.url}` : null],
    ]),
  );
  section.append(heading, list);
  if (result.history.length > 0) {
    const table = node("table", null, "stacked");
    const caption = node("caption", "Attempts, oldest first", "muted");
    const head = node("thead");
    head.append(headerRow(["At", "HTTP", "Outcome", "Error"]));
    const body = node("tbody");
    body.append(
      ...result.history.map((attempt) =>
        row(
          cell(clock(attempt.at)),
          cell(attempt.http_status === null ? "—" : attempt.http_status, undefined, "HTTP"),
          cell(label(attempt.outcome), undefined, "Outcome"),
          cell(clockTimes(attempt.error ?? ""), "detail"),
        ),
      ),
    );
    table.append(caption, head, body);
    section.append(table);
  }
  return section;
}

function renderRecord(record: RevocationRecord): void {
  shown = record;
  shownId = record.id;
  const heading = byId("record-heading");
  heading.textContent = `${record.email ?? "(unresolved)"} `;
  heading.append(badge(record.status));
  fill(
    "record-fields",
    definitions([
      ["Id", record.id],
      ["Source", `${record.source} (${record.event_type}, ${label(record.assurance)})`],
      ["Received", clock(record.received_at)],
      ["Completed", record.completed_at ? clock(record.completed_at) : null],
      ["Time to revoke", record.time_to_revoke_ms === null ? null : duration(record.time_to_revoke_ms)],
      ["Reason", record.reason],
      ["Subject id", record.subject_id],
      ["User uid", record.user_uid],
      ["Job", record.job_id],
      ["Lane", record.lane],
      ["Devices", record.devices ? "revoked too" : "left alone"],
      ["Attempts", String(record.attempts)],
      ["Last error", record.last_error && clockTimes(record.last_error)],
    ]),
  );
  byId("record-retry").hidden = record.status !== "failed";
  fill("record-targets", record.results.map(targetSection));
}

/** The page's hooks, set once by initRecord. */
let page: Hooks = { reload: () => {}, signedOut: () => {} };

async function retry(): Promise<void> {
  const record = shown;
  if (!record) return;
  const ok = await confirmed(
    `Retry the revocation of ${record.email ?? record.id}?`,
    "Its failed targets are sent again, with a fresh 24 h retry budget, and every token hold is cleared.",
    "Retry revocation",
  );
  if (!ok) return;
  const trigger = byId<HTMLButtonElement>("record-retry");
  trigger.disabled = true;
  try {
    const answer = await api<RevocationRecord>(`/revocations/${encodeURIComponent(record.id)}/retry`, "POST");
    renderRecord(answer);
    say("record-notice", `Re-queued: the API answered ${label(answer.status)}.`);
    page.reload();
  } catch (error) {
    if (error instanceof ApiError && error.kind === "unauthorized") {
      dialog().close();
      return page.signedOut(error.message);
    }
    say("record-notice", error instanceof Error ? error.message : String(error), true);
  } finally {
    trigger.disabled = false;
  }
}

export function initRecord(hooks: Hooks): void {
  page = hooks;
  byId("record-close").addEventListener("click", () => dialog().close());
  byId("record-retry").addEventListener("click", () => void retry());
  dialog().addEventListener("close", () => {
    shownId = null;
    shown = null;
  });
}

/** Opens the dialog on one record. */
export async function openRecord(id: string): Promise<void> {
  shownId = id;
  shown = null;
  say("record-notice", "");
  fill("record-fields", []);
  fill("record-targets", []);
  byId("record-heading").textContent = "Revocation";
  byId("record-retry").hidden = true;
  dialog().showModal();
  try {
    await refreshRecord();
  } catch (error) {
    if (error instanceof ApiError && error.kind === "unauthorized") page.signedOut(error.message);
  }
}

/**
 * The open record read again (each refresh); nothing when the dialog is closed. A failure to read it is
 * said in the dialog, not for the whole page; a refused token is the page's to handle.
 */
export async function refreshRecord(): Promise<void> {
  const id = shownId;
  if (id === null) return;
  try {
    const record = await api<RevocationRecord>(`/revocations/${encodeURIComponent(id)}`);
    // Closed, or another record opened, while this one was read.
    if (shownId === id) renderRecord(record);
  } catch (error) {
    if (error instanceof ApiError && error.kind === "unauthorized") throw error;
    if (shownId === id) say("record-notice", error instanceof Error ? error.message : String(error), true);
  }
}
