// Identity events → what the ledger is asked, written once for every source: webhooks, Shared Signals, and
// the sources to come (Google channels, Microsoft Graph, Okta Universal Logout). What the ledger records of
// an event (the address as spelled, an unusable one, a user uid, a refusal) therefore reaches it from each
// source alike; two copies of this had drifted apart (Shared Signals lost the spelling, unusable addresses
// and the user uid).
// Contract: pure.
import type { IdentityEvent, Observation, ObservedIdentity } from "./identity-events";
import type { RevocationRequest } from "./revocation";

/** Who asks: the source's name as the ledger keys it, and how the delivery was proven. */
export type EventOrigin = Pick<RevocationRequest, "source" | "assurance">;

export function revocationRequests(origin: EventOrigin, events: IdentityEvent[]): RevocationRequest[] {
  return events.map((event) => ({
    source: origin.source,
    assurance: origin.assurance,
    event_id: event.event_id,
    event_type: event.event_type,
    email: event.email ?? null,
    // validEvents names the spelling only when normalising changed it: otherwise `email` is as received.
    email_as_received: event.email_as_received ?? event.email ?? null,
    subject_id: event.subject_id ?? null,
    user_uid: event.user_uid ?? null,
    reason: event.reason ?? null,
    unusable_email: event.unusable_email ?? null,
    refusal: event.refusal ?? null,
    event_at: event.event_at ?? null,
  }));
}

/** The identities a source saw, as the ledger learns them: under the source whose subject ids they name. */
export function observations(source: string, observed: ObservedIdentity[]): Observation[] {
  return observed.map((identity) => ({ source, ...identity }));
}
