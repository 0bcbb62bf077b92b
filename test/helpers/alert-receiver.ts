// A receiver of the Worker's alerts (ALERT_WEBHOOK_URL) inside workerd: the fake Cloudflare API serves its
// origin (serveOtherOrigins), so the ledger's own fetch reaches it. It answers as Slack's incoming webhooks do
// when up (200, body "ok": docs.slack.dev, incoming webhooks), and can be down (a network error), slow (no
// answer until the sender gives up), refusing (404 "no_service", Slack's answer for a removed webhook),
// failing (503), redirecting (302) or answering garbage (200 with an HTML page). It keeps every request it
// got, whatever it answered, with the Standard Webhooks headers and the parsed body.
import type { AlertPayload } from "../../src/domain/alerts";

export type ReceiverMode = "up" | "down" | "slow" | "refusing" | "failing" | "redirecting" | "garbage";

export type ReceivedAlert = { at: number; mode: ReceiverMode; headers: Record<string, string>; raw: string; body: AlertPayload };

export class AlertReceiver {
  mode: ReceiverMode = "up";
  readonly received: ReceivedAlert[] = [];

  constructor(readonly url: string) {}

  /** Every alert that reached it (delivered or not), or only those answered 2xx. */
  delivered(): ReceivedAlert[] {
    return this.received.filter((alert) => alert.mode === "up" || alert.mode === "garbage");
  }

  ofKind(kind: string): ReceivedAlert[] {
    return this.delivered().filter((alert) => alert.body.alert.kind === kind);
  }

  /** Handles a request for any origin but the API's: its own, else refused. */
  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    if (url !== this.url) return new Response("not here", { status: 404 });
    const raw = String(init.body ?? "");
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const mode = this.mode;
    this.received.push({ at: Date.now(), mode, headers, raw, body: JSON.parse(raw) as AlertPayload });
    switch (mode) {
      case "up":
        return new Response("ok", { status: 200, headers: { "content-type": "text/html" } });
      case "down":
        throw new TypeError("Network connection lost.");
      case "slow":
        return new Promise<Response>((_, reject) => init.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
      case "refusing":
        return new Response("no_service", { status: 404 });
      case "failing":
        return new Response("<html>upstream unavailable</html>", { status: 503 });
      case "redirecting":
        return new Response(null, { status: 302, headers: { location: "https://elsewhere.test/" } });
      case "garbage":
        return new Response("<html><body>\u0000\u0001 not json at all", { status: 200 });
    }
  };
}
