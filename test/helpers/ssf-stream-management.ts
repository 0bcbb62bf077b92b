// The stream management API of the local Shared Signals transmitter (ssf-transmitter.ts serves it), as
// OpenID Shared Signals Framework 1.0 §7.1 describes it:
// - §7.1.1.1 create: POST configuration_endpoint {delivery: {method, endpoint_url, authorization_header},
//   events_requested, description} → 201 with the stream (stream_id, events_supported, events_delivered:
//   the requested events it supports, the delivery without its authorization_header).
// - §7.1.1.2 read: GET ?stream_id= → 200 the stream, 404 when there is none; without stream_id → 200 an
//   array of the receiver's streams. §7.1.1.3 update: PATCH {stream_id, …the members to change} → 200.
// - §7.1.2.1/§7.1.2.2 status: GET status_endpoint?stream_id= → {stream_id, status, reason?}; POST {stream_id,
//   status, reason} → 200.
// - §7.1.4 verification: POST verification_endpoint {stream_id, state} → 204; the test pushes the
//   verification SET itself (verificationClaims), as the transmitter would, when it chooses.
// Callers authenticate with the static header TEST_SSF_MANAGE_AUTH or an access token the transmitter's
// token endpoint issued. Faults: `mode` down (503), refusing (401), garbage (200 HTML); streams can be
// changed, paused or deleted behind the receiver's back; every request is kept in `requests`.
import { TEST_SSF_ISSUER } from "./bindings";

export const TEST_SSF_MANAGE_AUTH = "Bearer ssf-manage-static-credential";
const ORIGIN = new URL(TEST_SSF_ISSUER).origin;
export const MANAGEMENT_ENDPOINTS = {
  configuration_endpoint: `${ORIGIN}/ssf/streams`,
  status_endpoint: `${ORIGIN}/ssf/status`,
  verification_endpoint: `${ORIGIN}/ssf/verify`,
};
const SUPPORTED = [
  "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
  "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
  "https://schemas.openid.net/secevent/risc/event-type/account-purged",
  "https://schemas.openid.net/secevent/caep/event-type/credential-change",
  "https://schemas.openid.net/secevent/ssf/event-type/verification",
];

export type ManagedStream = {
  stream_id: string;
  delivery: { method: string; endpoint_url: string; authorization_header?: string };
  events_requested: string[];
  status: "enabled" | "paused" | "disabled";
  reason?: string;
};

export type ManagementMode = "up" | "down" | "refusing" | "garbage";

export class StreamManagement {
  readonly streams = new Map<string, ManagedStream>();
  readonly requests: { method: string; url: string; body: unknown; authorization: string | null }[] = [];
  readonly verifications: { stream_id: string; state: string }[] = [];
  mode: ManagementMode = "up";
  private next = 1;

  constructor(private readonly tokenIsValid: (bearer: string) => boolean) {}

  handles(url: string): boolean {
    return Object.values(MANAGEMENT_ENDPOINTS).some((endpoint) => url.split("?")[0] === endpoint);
  }

  /** The stream as the transmitter shows it (§7.1.1): never its authorization header. */
  private shown(stream: ManagedStream) {
    const { authorization_header: _, ...delivery } = stream.delivery;
    return {
      stream_id: stream.stream_id,
      iss: TEST_SSF_ISSUER,
      delivery,
      events_supported: SUPPORTED,
      events_requested: stream.events_requested,
      events_delivered: stream.events_requested.filter((event) => SUPPORTED.includes(event)),
    };
  }

  serve(url: string, init: RequestInit): Response {
    const authorization = new Headers(init.headers).get("authorization");
    const body = init.body === undefined || init.body === null ? null : JSON.parse(String(init.body));
    const method = init.method ?? "GET";
    this.requests.push({ method, url, body, authorization });
    if (this.mode === "down") return new Response("unavailable", { status: 503 });
    if (this.mode === "garbage") return new Response("<html>maintenance</html>", { status: 200, headers: { "content-type": "text/html" } });
    const bearer = authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : null;
    if (this.mode === "refusing" || !(authorization === TEST_SSF_MANAGE_AUTH || (bearer !== null && this.tokenIsValid(bearer)))) {
      return Response.json({ error: "invalid_token" }, { status: 401 });
    }
    const target = new URL(url);
    const id = target.searchParams.get("stream_id") ?? (body as { stream_id?: string } | null)?.stream_id ?? null;
    const stream = id === null ? undefined : this.streams.get(id);
    const path = `${target.origin}${target.pathname}`;
    if (path === MANAGEMENT_ENDPOINTS.configuration_endpoint) {
      if (method === "POST") {
        const created: ManagedStream = {
          stream_id: `stream-${this.next++}`,
          status: "enabled",
          ...(body as Omit<ManagedStream, "stream_id" | "status">),
        };
        this.streams.set(created.stream_id, created);
        return Response.json(this.shown(created), { status: 201 });
      }
      if (method === "GET" && id === null) return Response.json([...this.streams.values()].map((each) => this.shown(each)));
      if (!stream) return Response.json({ error: "not_found" }, { status: 404 });
      if (method === "GET") return Response.json(this.shown(stream));
      if (method === "PATCH") {
        const { stream_id: _, ...changes } = body as Partial<ManagedStream>;
        Object.assign(stream, changes);
        return Response.json(this.shown(stream));
      }
    }
    if (path === MANAGEMENT_ENDPOINTS.status_endpoint) {
      if (!stream) return Response.json({ error: "not_found" }, { status: 404 });
      if (method === "GET")
        return Response.json({ stream_id: stream.stream_id, status: stream.status, ...(stream.reason ? { reason: stream.reason } : {}) });
      const { status, reason } = body as { status: ManagedStream["status"]; reason?: string };
      Object.assign(stream, { status, reason });
      return Response.json({ stream_id: stream.stream_id, status, reason });
    }
    if (path === MANAGEMENT_ENDPOINTS.verification_endpoint && method === "POST") {
      if (!stream) return Response.json({ error: "not_found" }, { status: 404 });
      this.verifications.push({ stream_id: stream.stream_id, state: (body as { state: string }).state });
      return new Response(null, { status: 204 });
    }
    return new Response("not found", { status: 404 });
  }

  only(): ManagedStream {
    const streams = [...this.streams.values()];
    if (streams.length !== 1) throw new Error(`${streams.length} streams, not one`);
    return streams[0]!;
  }

  lastVerification(): { stream_id: string; state: string } {
    const last = this.verifications.at(-1);
    if (!last) throw new Error("no verification was requested");
    return last;
  }
}

/** A verification event's claims (SSF 1.0 §8.1.4.1): sub_id the opaque stream id, the state echoed. */
export function verificationClaims(streamId: string, state: string): { sub_id: unknown; events: unknown } {
  return {
    sub_id: { format: "opaque", id: streamId },
    events: { "https://schemas.openid.net/secevent/ssf/event-type/verification": { state } },
  };
}
