// The one replay window every timestamped scheme shares (Standard Webhooks, WorkOS, ZITADEL, the
// configurable HMAC source). Contract: pure; `now` is passed in.
// A delivery is refused when its timestamp is more than `toleranceSeconds` older or newer than now
// (the Standard Webhooks spec's defence against replays and against pre-signed future deliveries).
import type { VerificationFailure } from "./source";

export function checkTimestamp(timestampSeconds: number, now: number, toleranceSeconds: number): VerificationFailure | null {
  const skew = now / 1000 - timestampSeconds;
  if (skew > toleranceSeconds) return { reason: "stale_timestamp", skew_seconds: Math.round(skew) };
  if (-skew > toleranceSeconds) return { reason: "future_timestamp", skew_seconds: Math.round(skew) };
  return null;
}
