// The Revocations card: GET /v1/revocations, searched by email and status, a page of PAGE_SIZE at a time
// with the API's cursor (newest first; "Older" follows the answer's cursor, "Newer" goes back one).
// Each email opens that record (record.ts).
import type { RevocationRecord, RevocationStatus } from "../../domain/revocation";
import { button, byId, cell, fill, node, row } from "./dom";
import { clock, clockTimes, duration, label } from "./format";

const PAGE_SIZE = 20;

/** Every status the API answers, with its colour: the page's status filter offers each. */
const TONE: Record<RevocationStatus, "good" | "quiet" | "busy" | "bad"> = {
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

export function badge(status: string): HTMLSpanElement {
  return node("span", label(status), `badge ${TONE[status as RevocationStatus] ?? "quiet"}`);
}

export type RecordPage = { records: RevocationRecord[]; cursor: string | null };

/** The search, and the cursors of the pages up to the one shown (null: the newest). */
const view = { email: "", status: "", cursors: [null] as (string | null)[], next: null as string | null };

export function revocationsPath(): string {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (view.email) query.set("email", view.email);
  if (view.status) query.set("status", view.status);
  const cursor = view.cursors.at(-1);
  if (cursor) query.set("cursor", cursor);
  return `/revocations?${query}`;
}

export function initRevocations(hooks: { reload: () => void; open: (id: string) => void }): void {
  const status = byId<HTMLSelectElement>("search-status");
  for (const value of Object.keys(TONE)) {
    const option = node("option", label(value));
    option.value = value;
    status.append(option);
  }
  const search = (email: string, chosen: string) => {
    Object.assign(view, { email, status: chosen, cursors: [null], next: null });
    hooks.reload();
  };
  byId("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search(byId<HTMLInputElement>("search-email").value.trim(), status.value);
  });
  byId("search-form").addEventListener("reset", () => search("", ""));
  byId("page-older").addEventListener("click", () => {
    if (view.next === null) return;
    view.cursors.push(view.next);
    hooks.reload();
  });
  byId("page-newer").addEventListener("click", () => {
    if (view.cursors.length === 1) return;
    view.cursors.pop();
    hooks.reload();
  });
  opener = hooks.open;
}

let opener: (id: string) => void = () => {};

/** The email as a button that opens the record; a narrow column breaks it after the @, not inside a word. */
function emailButton(record: RevocationRecord): HTMLButtonElement {
  const email = record.email ?? "(unresolved)";
  const at = email.lastIndexOf("@");
  const opens = button(email, () => opener(record.id), "link");
  if (at > 0) opens.replaceChildren(email.slice(0, at + 1), node("wbr"), email.slice(at + 1));
  return opens;
}

export function renderRevocations(page: RecordPage): void {
  view.next = page.cursor;
  const filter = [view.email, view.status && label(view.status)].filter(Boolean).join(", ");
  byId("page-note").textContent = `Page ${view.cursors.length}, newest first, ${PAGE_SIZE} a page${filter ? `; only ${filter}` : ""}.`;
  byId<HTMLButtonElement>("page-newer").disabled = view.cursors.length === 1;
  byId<HTMLButtonElement>("page-older").disabled = page.cursor === null;
  byId("no-revocations").textContent = filter ? `No revocation matches (${filter}).` : "No revocation yet.";
  byId("no-revocations").hidden = page.records.length > 0;
  byId("revocations-table").hidden = page.records.length === 0;
  fill(
    "revocations",
    page.records.map((record) =>
      row(
        cell(clock(record.received_at), "received"),
        cell(emailButton(record), "email"),
        cell(record.source, "source", "Source"),
        cell(badge(record.status), "state"),
        cell(duration(record.time_to_revoke_ms), "number ttr", "Time to revoke"),
        cell(clockTimes(record.last_error ?? ""), "detail"),
      ),
    ),
  );
}
