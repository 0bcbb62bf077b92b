// A transmitter's stream management API (OpenID Shared Signals Framework 1.0 §7), as the managed stream kind
// (stream-kind.ts) calls it:
// - §7.2 metadata at /.well-known/ssf-configuration inserted between host and path (ssf/jwks.ts builds it);
//   its `issuer` must be the configured one exactly (§7.2.2), else nothing it names is believed.
// - §7.1.1 the stream's configuration: POST configuration_endpoint creates (201, the stream with its
//   stream_id), GET ?stream_id= reads one (404: it no longer exists), GET without stream_id lists the
//   receiver's streams (an array; a single object is read as a list of one), PATCH updates.
// - §7.1.2 status: GET status_endpoint?stream_id= answers {status, reason?}; POST {stream_id, status, reason}
//   changes it.
// - §7.1.4 verification: POST verification_endpoint {stream_id, state} answers 204; the event arrives later.
// Every call goes through the run's bounded fetch with the run's timeout (fetch-json.ts: no redirects, a size
// limit); a failure is a sentence naming the step and the HTTP status or error code, never a body or token.
// Contract: never throws (fetch-json.ts); a spent call budget is a failure like an unreachable transmitter.
import * as z from "zod/mini";
import { isTransmitterUrl } from "../../domain/ssf/transmitters";
import { fetchJson, type JsonRequest, type SsfFetch } from "../../ssf/fetch-json";
import { ssfConfigurationUrl } from "../../ssf/jwks";

/** The push delivery method's URI (SSF 1.0 §6.1.1, RFC 8935). */
export const PUSH_DELIVERY = "urn:ietf:rfc:8935";
const MAX_ANSWER_CHARS = 256 * 1024;

const endpoint = z.string().check(z.refine(isTransmitterUrl, "not an https URL"));
const MetadataSchema = z.looseObject({
  issuer: z.string(),
  configuration_endpoint: endpoint,
  status_endpoint: endpoint,
  verification_endpoint: endpoint,
});
export type StreamEndpoints = z.infer<typeof MetadataSchema>;

const StreamConfigSchema = z.looseObject({
  stream_id: z.string().check(z.minLength(1), z.maxLength(200)),
  delivery: z.optional(z.looseObject({ method: z.optional(z.string()), endpoint_url: z.optional(z.string()) })),
  events_requested: z.optional(z.array(z.string())),
  events_delivered: z.optional(z.array(z.string())),
});
export type StreamConfig = z.infer<typeof StreamConfigSchema>;

const StatusSchema = z.looseObject({ status: z.string(), reason: z.optional(z.string()) });

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string; status: number | null };

export type Api = { fetch: SsfFetch; authorization: string; timeoutMs: number };

async function call(api: Api, url: string, step: string, request: Omit<JsonRequest, "timeoutMs" | "maxChars">): Promise<Outcome<unknown>> {
  const headers: Record<string, string> = { authorization: api.authorization, ...request.headers };
  if (request.body !== undefined) headers["content-type"] = "application/json";
  const answer = await fetchJson(api.fetch, url, { ...request, headers, timeoutMs: api.timeoutMs, maxChars: MAX_ANSWER_CHARS });
  if (answer.ok) return { ok: true, value: answer.json };
  return { ok: false, error: `${step}: ${answer.detail}`, status: answer.status };
}

function parsed<T>(schema: z.ZodMiniType<T>, outcome: Outcome<unknown>, step: string): Outcome<T> {
  if (!outcome.ok) return outcome;
  const checked = schema.safeParse(outcome.value);
  return checked.success
    ? { ok: true, value: checked.data }
    : { ok: false, error: `${step}: the answer is not what SSF 1.0 §7 describes`, status: null };
}

/** The transmitter's metadata (§7.2), its issuer checked against the configured one. */
export async function readMetadata(fetcher: SsfFetch, issuer: string, timeoutMs: number): Promise<Outcome<StreamEndpoints>> {
  const step = "transmitter metadata";
  const answer = await fetchJson(fetcher, ssfConfigurationUrl(issuer), { timeoutMs, maxChars: MAX_ANSWER_CHARS });
  if (!answer.ok) return { ok: false, error: `${step}: ${answer.detail}`, status: answer.status };
  const metadata = MetadataSchema.safeParse(answer.json);
  if (!metadata.success) {
    return { ok: false, error: `${step}: needs issuer and https configuration_endpoint, status_endpoint and verification_endpoint`, status: null };
  }
  if (metadata.data.issuer !== issuer) {
    return { ok: false, error: `${step}: it names another issuer than the configured one (SSF 1.0 §7.2.2); nothing it says is used`, status: null };
  }
  return { ok: true, value: metadata.data };
}

const withId = (url: string, streamId: string) => {
  const target = new URL(url);
  target.searchParams.set("stream_id", streamId);
  return target.toString();
};

/** The stream by id; null when the transmitter answers 404 (it was deleted). */
export async function readStream(api: Api, endpoints: StreamEndpoints, streamId: string): Promise<Outcome<StreamConfig | null>> {
  const step = "reading the stream";
  const answer = await call(api, withId(endpoints.configuration_endpoint, streamId), step, {});
  if (!answer.ok && answer.status === 404) return { ok: true, value: null };
  return parsed(StreamConfigSchema, answer, step);
}

/** Every stream this receiver has at the transmitter. */
export async function listStreams(api: Api, endpoints: StreamEndpoints): Promise<Outcome<StreamConfig[]>> {
  const step = "listing streams";
  const answer = await call(api, endpoints.configuration_endpoint, step, {});
  if (!answer.ok && answer.status === 404) return { ok: true, value: [] };
  const listed = answer.ok && !Array.isArray(answer.value) ? { ok: true as const, value: [answer.value] } : answer;
  return parsed(z.array(StreamConfigSchema), listed, step);
}

export type DesiredStream = {
  delivery: { method: string; endpoint_url: string; authorization_header?: string };
  events_requested: string[];
  description: string;
};

export async function createStream(api: Api, endpoints: StreamEndpoints, desired: DesiredStream): Promise<Outcome<StreamConfig>> {
  const step = "creating the stream";
  return parsed(StreamConfigSchema, await call(api, endpoints.configuration_endpoint, step, { method: "POST", body: JSON.stringify(desired) }), step);
}

export async function updateStream(api: Api, endpoints: StreamEndpoints, streamId: string, desired: DesiredStream): Promise<Outcome<StreamConfig>> {
  const step = "repairing the stream";
  const body = JSON.stringify({ stream_id: streamId, ...desired });
  return parsed(StreamConfigSchema, await call(api, endpoints.configuration_endpoint, step, { method: "PATCH", body }), step);
}

export async function readStatus(api: Api, endpoints: StreamEndpoints, streamId: string): Promise<Outcome<{ status: string; reason?: string }>> {
  const step = "reading the stream's status";
  return parsed(StatusSchema, await call(api, withId(endpoints.status_endpoint, streamId), step, {}), step);
}

export async function enableStream(api: Api, endpoints: StreamEndpoints, streamId: string, reason: string): Promise<Outcome<unknown>> {
  const body = JSON.stringify({ stream_id: streamId, status: "enabled", reason });
  return call(api, endpoints.status_endpoint, "re-enabling the stream", { method: "POST", body });
}

export async function requestVerification(api: Api, endpoints: StreamEndpoints, streamId: string, state: string): Promise<Outcome<unknown>> {
  const body = JSON.stringify({ stream_id: streamId, state });
  return call(api, endpoints.verification_endpoint, "requesting a verification event", { method: "POST", body });
}
