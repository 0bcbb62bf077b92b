// A local stand-in for the Google endpoints the managed Workspace channel uses, in the shapes Google documents:
// - Token endpoint (developers.google.com/identity/protocols/oauth2/service-account, "Preparing to make an
//   authorized API call"): POST application/x-www-form-urlencoded grant_type=
//   urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>; the JWT is RS256 with the key's
//   private_key_id as kid, claims iss (client_email), sub (the admin), scope, aud (the token URL), iat, exp;
//   answers {access_token, token_type "Bearer", expires_in}, or 400 {"error": "invalid_grant"}.
// - activities.watch (Admin SDK Reports API reference): POST /admin/reports/v1/activity/users/all/
//   applications/admin/watch with a Channel {id, type "web_hook", address, token, expiration}; answers
//   {kind "api#channel", id, resourceId, resourceUri, expiration (int64 as a string)}; the expiration granted
//   is at most `maxTtlMs` from now.
// - channels.stop: POST /admin/reports_v1/channels/stop {id, resourceId}; answers 204, 404 for an unknown one.
// - Push notifications (Reports API push guide): POST to the channel's address with X-Goog-Channel-ID,
//   X-Goog-Channel-Token, X-Goog-Channel-Expiration, X-Goog-Resource-ID, X-Goog-Resource-URI,
//   X-Goog-Resource-State (sync for the first message, else the event) and X-Goog-Message-Number; the body
//   is the activity (test/fixtures/google/*.json shapes).
// The service account's key file is made here (an RSA key pair; JSON with type, client_email, private_key
// as PKCS#8 PEM, private_key_id, token_uri, as the Cloud console issues it).
import { type CryptoKey, exportPKCS8, generateKeyPair, jwtVerify } from "jose";

export const GOOGLE_TOKEN_URL = "https://oauth2.google.test/token";
export const GOOGLE_API_BASE = "https://admin.google.test";
export const GOOGLE_ADMIN = "admin@example.com";
const CLIENT_EMAIL = "revoker@project-1.iam.gserviceaccount.com";

export type FakeChannel = { id: string; resourceId: string; token: string; address: string; expiration: number; stopped: boolean };

export class GoogleFake {
  readonly channels = new Map<string, FakeChannel>();
  readonly tokenClaims: Record<string, unknown>[] = [];
  /** slow: the token endpoint never answers (the Worker's call must time out). */
  tokenMode: "up" | "refusing" | "down" | "slow" = "up";
  /** The longest channel Google grants. */
  maxTtlMs = 6 * 3_600_000;
  /** Grants an expiration already past (a fault Google should never produce, which the kind must survive). */
  expirationInPast = false;
  /** Called as a channel is created, before the watch request is answered: where Google sends its sync message. */
  onWatch: ((channel: FakeChannel) => Promise<void>) | null = null;
  private issued = new Set<string>();
  private next = 1;
  private messages = new Map<string, number>();

  private constructor(
    private readonly publicKey: CryptoKey,
    readonly keyFile: string,
    private readonly clock: { readonly now: number },
  ) {}

  static async create(clock: { readonly now: number }): Promise<GoogleFake> {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    const keyFile = JSON.stringify({
      type: "service_account",
      project_id: "project-1",
      private_key_id: "key-1",
      private_key: await exportPKCS8(privateKey),
      client_email: CLIENT_EMAIL,
      client_id: "1234567890",
      token_uri: GOOGLE_TOKEN_URL,
    });
    return new GoogleFake(publicKey, keyFile, clock);
  }

  live(): FakeChannel[] {
    return [...this.channels.values()].filter((channel) => !channel.stopped && channel.expiration > this.clock.now);
  }

  private async token(body: string): Promise<Response> {
    if (this.tokenMode === "down") return new Response("unavailable", { status: 503 });
    if (this.tokenMode === "slow") return new Promise<Response>(() => {});
    const form = new URLSearchParams(body);
    if (this.tokenMode === "refusing" || form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      return Response.json({ error: "invalid_grant" }, { status: 400 });
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(form.get("assertion") ?? "", this.publicKey, {
        issuer: CLIENT_EMAIL,
        audience: GOOGLE_TOKEN_URL,
        currentDate: new Date(this.clock.now),
      });
      this.tokenClaims.push({ ...payload, kid: protectedHeader.kid });
    } catch {
      return Response.json({ error: "invalid_grant" }, { status: 400 });
    }
    const token = `ya29.${crypto.randomUUID()}`;
    this.issued.add(token);
    return Response.json({ access_token: token, token_type: "Bearer", expires_in: 3599 });
  }

  private authorized(init: RequestInit): boolean {
    const header = new Headers(init.headers).get("authorization") ?? "";
    return header.startsWith("Bearer ") && this.issued.has(header.slice("Bearer ".length));
  }

  private async watch(body: { id: string; token: string; address: string; expiration: string }): Promise<Response> {
    const granted = this.expirationInPast ? this.clock.now - 1000 : Math.min(Number(body.expiration), this.clock.now + this.maxTtlMs);
    const channel: FakeChannel = {
      id: body.id,
      resourceId: `res-${this.next++}`,
      token: body.token,
      address: body.address,
      expiration: granted,
      stopped: false,
    };
    this.channels.set(channel.id, channel);
    await this.onWatch?.(channel);
    return Response.json({
      kind: "api#channel",
      id: channel.id,
      resourceId: channel.resourceId,
      resourceUri: "https://admin.googleapis.com/admin/reports/v1/activity/users/all/applications/admin?alt=json",
      expiration: String(granted),
    });
  }

  private stop(body: { id: string; resourceId: string }): Response {
    const channel = this.channels.get(body.id);
    if (!channel || channel.resourceId !== body.resourceId) return Response.json({ error: { code: 404 } }, { status: 404 });
    channel.stopped = true;
    return new Response(null, { status: 204 });
  }

  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    if (url === GOOGLE_TOKEN_URL && init.method === "POST") return this.token(String(init.body));
    if (!url.startsWith(GOOGLE_API_BASE)) return new Response("not found", { status: 404 });
    if (!this.authorized(init)) return Response.json({ error: { code: 401 } }, { status: 401 });
    const path = url.slice(GOOGLE_API_BASE.length);
    const body = JSON.parse(String(init.body));
    if (path === "/admin/reports/v1/activity/users/all/applications/admin/watch") return this.watch(body);
    if (path === "/admin/reports_v1/channels/stop") return this.stop(body);
    return new Response("not found", { status: 404 });
  };

  /** The headers Google sends with a notification on this channel (sync for its first message). */
  notificationHeaders(channel: FakeChannel, state: string): Record<string, string> {
    const number = (this.messages.get(channel.id) ?? 0) + 1;
    this.messages.set(channel.id, number);
    return {
      "content-type": "application/json; charset=UTF-8",
      "X-Goog-Channel-ID": channel.id,
      "X-Goog-Channel-Token": channel.token,
      "X-Goog-Channel-Expiration": new Date(channel.expiration).toUTCString(),
      "X-Goog-Resource-ID": channel.resourceId,
      "X-Goog-Resource-URI": "https://admin.googleapis.com/admin/reports/v1/activity/users/all/applications/admin?alt=json",
      "X-Goog-Resource-State": state,
      "X-Goog-Message-Number": String(number),
    };
  }
}

/** An Admin console activity suspending `email` (the Reports API's activity shape). */
export function suspension(email: string, uniqueQualifier: string) {
  return {
    kind: "admin#reports#activity",
    id: { time: new Date().toISOString(), uniqueQualifier, applicationName: "admin", customerId: "C0123" },
    actor: { email: GOOGLE_ADMIN },
    events: [{ type: "USER_SETTINGS", name: "SUSPEND_USER", parameters: [{ name: "USER_EMAIL", value: email }] }],
  };
}
