// What a SCIM operation answers, before any HTTP: a value, or a failure the SCIM surface renders once
// (scim/errors.ts) as the RFC 7644 §3.12 error body. Contract: types only.

/** RFC 7644 §3.12 scimType values. */
export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers"
  | "sensitive";

export type ScimFailure =
  | { kind: "not_found"; detail: string }
  | { kind: "conflict"; detail: string }
  | { kind: "invalid"; detail: string; scimType: ScimType };

export type ScimOutcome<T> = { ok: true; value: T } | { ok: false; failure: ScimFailure };

export const scimOk = <T>(value: T): ScimOutcome<T> => ({ ok: true, value });

export const scimFail = <T>(failure: ScimFailure): ScimOutcome<T> => ({ ok: false, failure });
