// Secrets as the configuration reads them: rotation lists, each value checked without ever being shown.
// A secret variable may hold several values, one per line. A newline is the only separator: it cannot occur
// inside any secret we accept (they travel in HTTP headers or are base64 or hex), while a space can (Okta's
// documented `Basic <base64>` secret) and so can a comma. A bearer token can hold neither, so one with a comma
// (an old comma-separated list) is a problem; webhook secrets are left alone: Okta's, Keycloak's, Google's and
// the HMAC source's are chosen by whoever configures the sender, and a comma in one is legitimate (the whsec_
// ones are base64, checked as such). The Shared Signals secrets are named by transmitter, so they are read
// beside the schema, once SSF_TRANSMITTERS says which names to expect.
// Contract: a problem names the variable and the value's position, never its content.
import * as z from "zod/mini";
import {
  SSF_SECRET_PREFIXES,
  type SsfTransmitter,
  ssfAuthSecretVariable,
  ssfManageAuthSecretVariable,
  ssfManageClientSecretVariable,
  ssfManagePrivateKeyVariable,
  ssfPollAuthSecretVariable,
  ssfPollClientSecretVariable,
} from "../domain/ssf/transmitters";
import { optionalString } from "./variables";

/** The values of a rotation list: one per line, trimmed, blank lines ignored. */
export function splitSecretList(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(/\r?\n/)
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
}

/** A character below U+0020 or DEL: never part of a header value or an encoded key. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * A rotation list whose every value must pass `check` (which answers what is wrong, or null). Problems
 * name the value by its position, never by content.
 */
export function secretList(check: (value: string) => string | null = () => null) {
  return z.pipe(
    optionalString,
    z.transform((raw: string | undefined, ctx) => {
      const values = splitSecretList(raw);
      for (const [index, value] of values.entries()) {
        const problem = hasControlCharacter(value) ? "contains a control character" : check(value);
        if (problem) ctx.issues.push({ code: "custom", message: `value ${index + 1} ${problem}`, input: "" });
      }
      return values;
    }),
  );
}

/**
 * Bearer tokens (RFC 6750 §2.1, b64token: letters, digits and -._~+/ then =) contain neither whitespace
 * nor a comma; one that does is an old space- or comma-separated list, which as one value matches no
 * token a client sends. Other characters are left alone: a token that works today keeps working.
 */
export const bearerTokens = secretList((value) =>
  /\s/.test(value)
    ? "contains whitespace: put each token of a rotation list on its own line"
    : value.includes(",")
      ? "contains a comma, which no bearer token can (RFC 6750): lists are one per line now, put each token on its own line"
      : null,
);

const TARGET_KEY = /^(accounts|zones)\/([0-9a-f]{32})$/i;

/**
 * ACCESS_API_TOKENS: a token per target, for an operator with one token per account or zone (least
 * privilege), as JSON: {"accounts/<id>": "<token>", "zones/<id>": "<token>"}. Answers the tokens by target
 * ("accounts/<id>", the id in lower case). A problem names an entry by its position, never its key or token.
 * One token per target: rotate by replacing the secret (the targets not in it fall back to ACCESS_API_TOKEN).
 */
export const apiTokensByTarget = z.pipe(
  optionalString,
  z.transform((raw: string | undefined, ctx) => {
    const tokens = new Map<string, string>();
    const problem = (message: string) => ctx.issues.push({ code: "custom", message, input: "" });
    const text = (raw ?? "").trim();
    if (text === "") return tokens;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
      problem('must be a JSON object such as {"accounts/<id>": "<token>", "zones/<id>": "<token>"}');
      return tokens;
    }
    for (const [index, [key, value]] of Object.entries(json).entries()) {
      const target = TARGET_KEY.exec(key.trim());
      if (!target) {
        problem(`entry ${index + 1}: the key must be accounts/<id> or zones/<id>, the id 32 hexadecimal characters`);
        continue;
      }
      const token = typeof value === "string" ? value.trim() : "";
      const wrong = token === "" ? "is empty or not a string" : hasControlCharacter(token) || /[\s,]/.test(token) ? "is not one bearer token" : null;
      if (wrong) problem(`entry ${index + 1}: the token ${wrong}`);
      else tokens.set(`${target[1]!.toLowerCase()}/${target[2]!.toLowerCase()}`, token);
    }
    return tokens;
  }),
);

/** Standard Webhooks / Svix secrets: `whsec_` and the base64 of the key (a bare base64 key is accepted, as the reference does). */
export const whsecSecrets = secretList((value) => {
  const encoded = value.startsWith("whsec_") ? value.slice("whsec_".length) : value;
  const normalized = encoded.replace(/-/g, "+").replace(/_/g, "/");
  return encoded.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(normalized) && normalized.replace(/=+$/, "").length % 4 !== 1
    ? null
    : "is not base64 after whsec_ (copy the whole signing secret; one per line)";
});

/** A transmitter's secrets, read once with the configuration (ssfSecretsOf). */
export type SsfSecrets = {
  auth: string[];
  pollAuth: string | null;
  pollClientSecret: string | null;
  /** What the Worker manages the transmitter's stream with (`manage`): a header, a client secret, or a PEM key. */
  manage: { authorization: string | null; clientSecret: string | null; privateKeyPem: string | null };
};

/** The secret a transmitter's `manage` block authenticates with: its variable's name. */
function manageSecretVariable(name: string, transmitter: SsfTransmitter): string | null {
  const credentials = transmitter.manage?.credentials;
  if (credentials === undefined) return null;
  if (credentials.kind === "bearer") return ssfManageAuthSecretVariable(name);
  return credentials.auth === "private_key_jwt" ? ssfManagePrivateKeyVariable(name) : ssfManageClientSecretVariable(name);
}

/**
 * The Shared Signals secrets: SSF_AUTH_<NAME> (the authorization header a stream pushes with, read by
 * ssf/routes.ts), SSF_POLL_AUTH_<NAME> (the header the Worker polls with) and SSF_POLL_CLIENT_SECRET_<NAME>
 * (the OAuth client secret it obtains poll tokens with; ssf/poll-streams.ts), and the one a `manage` block
 * authenticates with (SSF_MANAGE_AUTH_, SSF_MANAGE_CLIENT_SECRET_ or SSF_MANAGE_PRIVATE_KEY_<NAME>; a PEM,
 * read whole). A value with a control character is a problem like any secret's. One that no configured
 * transmitter uses does nothing, most likely a typo, and is noted; so is a polled or managed transmitter
 * without the secret it authenticates with. Notes, not
 * problems: the other sources keep working, and a poll that cannot authenticate shows in /v1/stats.
 */
export function ssfSecretsOf(
  vars: Record<string, string>,
  transmitters: ReadonlyMap<string, SsfTransmitter> | null,
): { secrets: Map<string, SsfSecrets>; problems: string[]; notes: string[] } {
  const problems: string[] = [];
  const notes: string[] = [];
  const secrets = new Map<string, SsfSecrets>();
  const expected = new Set<string>();
  for (const [name, transmitter] of transmitters ?? []) {
    const [auth, pollAuth, pollClientSecret] = [ssfAuthSecretVariable(name), ssfPollAuthSecretVariable(name), ssfPollClientSecretVariable(name)];
    secrets.set(name, {
      auth: splitSecretList(vars[auth]),
      pollAuth: splitSecretList(vars[pollAuth])[0] ?? null,
      pollClientSecret: splitSecretList(vars[pollClientSecret])[0] ?? null,
      manage: {
        authorization: splitSecretList(vars[ssfManageAuthSecretVariable(name)])[0] ?? null,
        clientSecret: splitSecretList(vars[ssfManageClientSecretVariable(name)])[0] ?? null,
        // A PEM spans lines: it is read whole, never as a rotation list.
        privateKeyPem: (vars[ssfManagePrivateKeyVariable(name)] ?? "").trim() || null,
      },
    });
    expected.add(auth);
    const manageSecret = manageSecretVariable(name, transmitter);
    if (manageSecret !== null) {
      expected.add(manageSecret);
      if ((vars[manageSecret] ?? "").trim() === "") {
        notes.push(`${manageSecret}: not set, so ${name}'s stream cannot be managed and its managed connection fails until it is`);
      }
    }
    if (transmitter.poll === null) continue;
    const secret = transmitter.poll.oauth ? pollClientSecret : pollAuth;
    expected.add(secret);
    if ((vars[secret] ?? "").trim() !== "") continue;
    notes.push(
      transmitter.poll.oauth
        ? `${secret}: not set, so ${name}'s poll token cannot be obtained and every poll run fails until it is`
        : `${secret}: not set, so ${name}'s poll endpoint is polled without an Authorization header`,
    );
  }
  for (const [name, raw] of Object.entries(vars)) {
    if (!SSF_SECRET_PREFIXES.some((prefix) => name.startsWith(prefix)) || raw.trim() === "") continue;
    for (const [index, value] of splitSecretList(raw).entries()) {
      if (hasControlCharacter(value)) problems.push(`${name}: value ${index + 1} contains a control character`);
    }
    if (transmitters !== null && !expected.has(name)) {
      notes.push(`${name}: ignored; no transmitter in SSF_TRANSMITTERS uses this secret (see docs/ssf.md for which poll settings use which)`);
    }
  }
  return { secrets, problems, notes };
}

/**
 * A certificate credential as one PEM text: its PKCS#8 private key ("BEGIN PRIVATE KEY") and the X.509
 * certificate whose thumbprint names it ("BEGIN CERTIFICATE"), in either order, as `openssl` writes them. Kept
 * whole (a PEM is many lines, so it is no rotation list); null when unset.
 */
export const pemCredential = z.pipe(
  optionalString,
  z.transform((raw: string | undefined, ctx) => {
    const value = (raw ?? "").trim();
    if (value === "") return null;
    const has = (label: string) => new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`).test(value);
    if (!has("PRIVATE KEY") || !has("CERTIFICATE")) {
      const problem = "must hold a PKCS#8 private key (BEGIN PRIVATE KEY) and its certificate (BEGIN CERTIFICATE) in PEM";
      ctx.issues.push({ code: "custom", message: problem, input: "" });
      return z.NEVER;
    }
    return value;
  }),
);
