// The Offboarding report form: a period in whole UTC days, the threshold in minutes and a format; the report
// is fetched with the operator token (a plain link could not carry it) and saved as a file, which the browser
// then opens or prints. GET /v1/reports/offboarding makes it; nothing here computes a figure.
import { ApiError, download } from "./api";
import { byId, say } from "./dom";

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function initReport(signedOut: (message: string) => void): void {
  const from = byId<HTMLInputElement>("report-from");
  const to = byId<HTMLInputElement>("report-to");
  from.value = day(Date.now() - 30 * DAY_MS);
  to.value = day(Date.now());
  byId("report-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void save(signedOut);
  });
}

async function save(signedOut: (message: string) => void): Promise<void> {
  const from = byId<HTMLInputElement>("report-from").value;
  const to = byId<HTMLInputElement>("report-to").value;
  const minutes = byId<HTMLInputElement>("report-threshold").value;
  const format = byId<HTMLSelectElement>("report-format").value;
  const end = day(Date.parse(`${to}T00:00:00Z`) + DAY_MS);
  const query = new URLSearchParams({ from: `${from}T00:00:00Z`, to: `${end}T00:00:00Z`, threshold: `${minutes}m`, format });
  say("report-note", "Making the report…");
  try {
    const file = await download(`/reports/offboarding?${query}`);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(file);
    link.download = `offboarding-${from}-to-${to}.${format}`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    say("report-note", `Saved ${link.download}.`);
  } catch (error) {
    if (error instanceof ApiError && error.kind === "unauthorized") return signedOut(error.message);
    say("report-note", error instanceof Error ? error.message : String(error), true);
  }
}
