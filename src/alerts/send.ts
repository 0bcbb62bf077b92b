// Sends one alert to ALERT_WEBHOOK_URL: a JSON POST ({"text": …, "alert": {…}}, domain/alerts.ts), which is what
// Slack's incoming webhooks (docs.slack.dev: `{"text": "Hello, World!"}`, answered 200 "ok") and Teams'
// Incoming Webhook connector (MicrosoftDocs/msteams-docs, add-incoming-webhook.md: `{"text": "Hello World"}`,
// answered "1") display; both ignore the `alert` member, which a program reads. A Teams Workflows
// ("Post to a channel when a webhook request is received") flow takes any JSON and picks the fields it shows.
// With ALERT_WEBHOOK_SECRET the POST is signed the Standard Webhooks way: webhook-id (the alert's id, the same
// on every retry, so a receiver de-duplicates), webhook-timestamp (unix seconds) and webhook-signature, one
// "v1,<base64>" per secret of the rotation list, space-separated (spec/standard-webhooks.md).
// - Time: timeoutMs for the whole exchange (outbound/deadline.ts: an abort, and a race, so a fetch that
//   ignores its signal cannot hold the sender). Redirects are not followed: a 3xx is a failure (the URL is wrong).
// - Any 2xx is delivered, whatever its body. Anything else is a failure with a sentence for the operator: the
//   HTTP status and, when the body is a short error code (Slack's "invalid_payload", "no_service"), that code.
// Contract: never throws; the fetch and the clock are injected; the URL (a credential for Slack) and the secret
// never appear in what it answers.
import { signStandardDelivery } from "../crypto/standard-webhooks";
import { withDeadline } from "../outbound/deadline";

export type AlertSend = { ok: true; status: number } | { ok: false; error: string };

export async function sendAlert(options: {
  fetch: typeof fetch;
  url: string;
  secrets: string[];
  id: string;
  body: string;
  timestampSeconds: number;
  timeoutMs: number;
}): Promise<AlertSend> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "access-revoker",
    "webhook-id": options.id,
    "webhook-timestamp": String(options.timestampSeconds),
  };
  if (options.secrets.length > 0) {
    const signatures = await Promise.all(
      options.secrets.map((secret) => signStandardDelivery(secret, options.id, options.timestampSeconds, options.body)),
    );
    headers["webhook-signature"] = signatures.join(" ");
  }
  const timeout: AlertSend = { ok: false, error: `no answer within ${options.timeoutMs / 1000} s` };
  try {
    const answer = await withDeadline<AlertSend>(options.timeoutMs, async (bounded, signal) => {
      const response = await bounded(options.fetch(options.url, { method: "POST", headers, body: options.body, redirect: "manual", signal }));
      if (response === "timeout") return "timeout";
      if (response.status >= 200 && response.status < 300) {
        void response.body?.cancel().catch(() => {});
        return { ok: true, status: response.status };
      }
      const text = await bounded(response.text().catch(() => ""));
      const code = text !== "timeout" && /^[a-z_]{1,40}$/.test(text.trim()) ? ` (${text.trim()})` : "";
      const redirect = response.status >= 300 && response.status < 400 ? ": redirects are not followed, check ALERT_WEBHOOK_URL" : "";
      return { ok: false, error: `HTTP ${response.status}${code}${redirect}` };
    });
    return answer === "timeout" ? timeout : answer;
  } catch (error) {
    // A network error's message may quote the URL, which for Slack is the credential: it is cut out.
    const message = error instanceof Error ? `${error.name}: ${error.message}`.replaceAll(options.url, "ALERT_WEBHOOK_URL").slice(0, 160) : "error";
    return { ok: false, error: `unreachable (${message})` };
  }
}
