// One structured JSON line per request and per revocation outcome (Workers Logs indexes JSON fields).
// Contract: callers pass no secrets, signatures or raw bodies; only ids, names, statuses and reasons.
export type LogFields = Record<string, string | number | boolean | null | undefined | string[]>;

export function logEvent(event: string, fields: LogFields): void {
  console.log(JSON.stringify({ event, at: new Date().toISOString(), ...fields }));
}
