// The two Admin SDK calls the Google channel kind makes (channel-kind.ts), as Google documents them:
// - activities.watch: POST {base}/admin/reports/v1/activity/users/all/applications/admin/watch with a
//   Channel {id, type "web_hook", address, token, expiration (ms since the epoch)}; answers the Channel with
//   its resourceId and the expiration Google granted (an int64 as a string).
// - channels.stop: POST {base}/admin/reports_v1/channels/stop with {id, resourceId}; answers an empty body.
//   A 404 means the channel is already gone, which is what stopping it wanted.
// Bounded by the run's fetch (fetch-json.ts: a timeout, a size limit, no redirects); a failure names the step
// and the HTTP status or error code, never a body or token.
// Contract: never throws.
import * as z from "zod/mini";
import type { Config } from "../../config";
import { fetchJson } from "../../ssf/fetch-json";
import type { MaintainContext } from "../kind";

type Settings = NonNullable<Config["googleChannel"]>;
type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

const ChannelAnswerSchema = z.looseObject({
  id: z.string(),
  resourceId: z.string().check(z.minLength(1), z.maxLength(500)),
  expiration: z.union([z.string().check(z.regex(/^\d{1,16}$/)), z.number()]),
});

export async function watchAdminActivities(
  context: MaintainContext,
  settings: Settings,
  authorization: string,
  channel: { id: string; token: string; address: string; expiration: number },
): Promise<Outcome<{ resourceId: string; expiration: number }>> {
  const step = "activities.watch";
  const answer = await fetchJson(context.fetch, `${settings.apiBaseUrl}/admin/reports/v1/activity/users/all/applications/admin/watch`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({ ...channel, type: "web_hook", expiration: String(channel.expiration) }),
    timeoutMs: context.timeoutMs,
    maxChars: 64 * 1024,
  });
  if (!answer.ok) return { ok: false, error: `${step}: ${answer.detail}` };
  const parsed = ChannelAnswerSchema.safeParse(answer.json);
  if (!parsed.success || parsed.data.id !== channel.id) return { ok: false, error: `${step}: the answer is not the channel asked for` };
  return { ok: true, value: { resourceId: parsed.data.resourceId, expiration: Number(parsed.data.expiration) } };
}

export async function stopChannel(
  context: MaintainContext,
  settings: Settings,
  authorization: string,
  channel: { id: string; resource_id: string },
): Promise<Outcome<null>> {
  const answer = await fetchJson(context.fetch, `${settings.apiBaseUrl}/admin/reports_v1/channels/stop`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({ id: channel.id, resourceId: channel.resource_id }),
    timeoutMs: context.timeoutMs,
    maxChars: 64 * 1024,
  });
  // An empty 200 is "not JSON" to fetch-json: for this call, any 2xx is the answer.
  if (answer.ok || answer.status === 404 || (answer.reason === "malformed" && answer.status !== null && answer.status < 300)) {
    return { ok: true, value: null };
  }
  return { ok: false, error: `channels.stop: ${answer.detail}` };
}
