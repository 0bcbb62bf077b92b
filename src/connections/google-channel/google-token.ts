// An access token for the Admin SDK Reports API, by the JWT bearer grant (RFC 7523 §2.1) as Google's service
// accounts use it with domain-wide delegation (developers.google.com/identity/protocols/oauth2/service-account):
// an assertion signed RS256 with the key file's private key (its private_key_id as kid), iss = the service
// account's client_email, sub = GOOGLE_ADMIN_EMAIL (the admin it acts for), scope = the Reports API's audit
// read-only scope, aud = the token endpoint. The grant, the request and the answer's checks are the SSF
// receiver's token code (ssf/poll-token.ts), so there is one OAuth client in the Worker.
// Contract: never throws; a failure names the token endpoint's status and OAuth error code, never a token.
import type { Config } from "../../config";
import { createTokenSource, JWT_BEARER_GRANT, signAssertion } from "../../ssf/poll-token";
import type { MaintainContext } from "../kind";

const REPORTS_AUDIT_SCOPE = "https://www.googleapis.com/auth/admin.reports.audit.readonly";

type Outcome = { ok: true; value: string } | { ok: false; error: string };

export async function googleAccessToken(settings: NonNullable<Config["googleChannel"]>, context: MaintainContext): Promise<Outcome> {
  const { serviceAccount } = settings;
  const grant = {
    tokenEndpoint: settings.tokenUrl,
    async request(now: number) {
      const assertion = await signAssertion(serviceAccount.privateKeyPem, serviceAccount.privateKeyId, now, {
        iss: serviceAccount.clientEmail,
        sub: settings.adminEmail,
        scope: REPORTS_AUDIT_SCOPE,
        aud: settings.tokenUrl,
      });
      return { form: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }), headers: {} };
    },
  };
  const token = await createTokenSource(grant, { fetch: context.fetch, now: context.now }).authorization();
  return token.ok ? { ok: true, value: token.authorization } : { ok: false, error: token.detail };
}
