// The managed-connection kinds the Cron Trigger maintains (kind.ts says what one implements). A new kind is
// one line here; the runner (runner.ts) finds its connections through its connections(config)
// (issue #20: SSF streams and Google channels; issue #21: Microsoft Graph subscriptions).
import { googleChannelKind } from "./google-channel/channel-kind";
import { graphSubscriptionKind } from "./graph-subscription";
import type { ConnectionKind } from "./kind";
import { ssfStreamKind } from "./ssf-stream/stream-kind";

export const CONNECTION_KINDS: readonly ConnectionKind[] = [graphSubscriptionKind, ssfStreamKind, googleChannelKind];
