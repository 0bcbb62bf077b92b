// The managed-connection kinds the Cron Trigger maintains (kind.ts says what one implements). A new kind is
// one line here; the runner (runner.ts) finds its connections through its connections(config). Issue #21's
// Microsoft Graph subscription is the first; #20's SSF streams and Google channels are to join it.
import { graphSubscriptionKind } from "./graph-subscription";
import type { ConnectionKind } from "./kind";

export const CONNECTION_KINDS: readonly ConnectionKind[] = [graphSubscriptionKind];
