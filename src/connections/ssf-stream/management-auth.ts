// The Authorization header a managed stream's calls carry (SSF 1.0 §7.1 leaves the scheme to the transmitter):
// `{"bearer": true}` sends SSF_MANAGE_AUTH_<NAME> as it is; OAuth client credentials obtain an access token
// with the token code the SSF poll uses (ssf/poll-token.ts), the client authenticated with its secret
// (client_secret_basic) or a signed assertion (private_key_jwt, RFC 7523 §2.2). A token is obtained per
// checking run (at most one call); checks are an hour apart, longer than most tokens live.
// Contract: never throws; a missing secret is an error naming its variable, never a value.
import {
  type SsfTransmitter,
  ssfManageAuthSecretVariable,
  ssfManageClientSecretVariable,
  ssfManagePrivateKeyVariable,
} from "../../domain/ssf/transmitters";
import { clientSecretBasic, createTokenSource, privateKeyJwt, type TokenGrant } from "../../ssf/poll-token";
import type { MaintainContext } from "../kind";
import type { Outcome } from "./management-api";

type Credentials = NonNullable<SsfTransmitter["manage"]>["credentials"];

export async function managementAuthorization(name: string, credentials: Credentials, context: MaintainContext): Promise<Outcome<string>> {
  const secrets = context.config.ssfSecrets.get(name)?.manage;
  const missing = (variable: string): Outcome<string> => ({
    ok: false,
    error: `${variable} is not set: the stream management API cannot be called without it`,
    status: null,
  });
  if (credentials.kind === "bearer") {
    return secrets?.authorization ? { ok: true, value: secrets.authorization } : missing(ssfManageAuthSecretVariable(name));
  }
  let grant: TokenGrant;
  if (credentials.auth === "private_key_jwt") {
    if (!secrets?.privateKeyPem) return missing(ssfManagePrivateKeyVariable(name));
    grant = privateKeyJwt({ ...credentials, privateKeyPem: secrets.privateKeyPem });
  } else {
    if (!secrets?.clientSecret) return missing(ssfManageClientSecretVariable(name));
    grant = clientSecretBasic({ ...credentials, clientSecret: secrets.clientSecret });
  }
  const token = await createTokenSource(grant, { fetch: context.fetch, now: context.now }).authorization();
  return token.ok ? { ok: true, value: token.authorization } : { ok: false, error: token.detail, status: null };
}
