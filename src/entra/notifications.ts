// A Microsoft Graph change notification collection ({"value": [changeNotification…]}, the shape of Graph's
// changeNotificationCollection and changeNotification resource types), read item by item and each item verified:
// - clientState (the secret the Worker gave the subscription, kept in the ledger) compared in constant time with
//   the one(s) of the subscription it names: the current one, the one it replaced until that expires, and one
//   being created (whose id Graph has not told yet). Graph signs nothing else in a notification without
//   resource data, so a missing or wrong clientState, an unknown subscription or another tenant is refused;
//   nothing a refused item says is acted on.
// - a change names a user: resourceData.id, else the id in `resource` ("Users/{id}"), a GUID either way;
//   changeType updated or deleted (created, which the subscription does not ask for, reads as updated: a read
//   of the user decides all the same).
// - a lifecycle notification (`lifecycleEvent`): reauthorizationRequired, subscriptionRemoved or missed.
// One bad item never refuses the others; the caller answers 401 only when no item is accepted.
// Contract: pure but for the constant-time compare (WebCrypto); never throws.
import * as z from "zod/mini";
import { matchesAnySecret } from "../crypto/compare";
import { OBJECT_ID } from "../domain/entra";
import type { SubscriptionSecret } from "../ledger/entra/subscription";

/** Graph sends a few hundred at most; more is not a notification collection. */
const MAX_ITEMS = 1000;
const LIFECYCLE_EVENTS = ["reauthorizationRequired", "subscriptionRemoved", "missed"] as const;
const USER_RESOURCE = /^\/?users\/([0-9a-f-]{36})$/i;

const CollectionSchema = z.looseObject({ value: z.array(z.unknown()).check(z.minLength(1), z.maxLength(MAX_ITEMS)) });
const ItemSchema = z.looseObject({
  subscriptionId: z.optional(z.string()),
  clientState: z.optional(z.nullable(z.string())),
  tenantId: z.optional(z.string()),
  changeType: z.optional(z.string()),
  resource: z.optional(z.string()),
  resourceData: z.optional(z.nullable(z.looseObject({ id: z.optional(z.string()) }))),
  lifecycleEvent: z.optional(z.string()),
});

export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];
type RefusalReason = "malformed" | "missing_client_state" | "unknown_subscription" | "client_state_mismatch" | "wrong_tenant" | "not_a_user";

export type ReadNotifications =
  | { ok: true; changes: { userId: string; changeType: "updated" | "deleted" }[]; lifecycle: LifecycleEvent[]; refused: RefusalReason[] }
  | { ok: false; detail: string };

export async function readNotifications(json: unknown, context: { tenantId: string; secrets: SubscriptionSecret[] }): Promise<ReadNotifications> {
  const collection = CollectionSchema.safeParse(json);
  if (!collection.success) return { ok: false, detail: `not a change notification collection (value[] of 1–${MAX_ITEMS})` };
  const changes: { userId: string; changeType: "updated" | "deleted" }[] = [];
  const lifecycle: LifecycleEvent[] = [];
  const refused: RefusalReason[] = [];
  for (const element of collection.data.value) {
    const item = ItemSchema.safeParse(element);
    const verdict = item.success ? await verify(item.data, context) : "malformed";
    if (!item.success || verdict !== null) {
      refused.push(verdict ?? "malformed");
      continue;
    }
    const { lifecycleEvent, changeType, resource, resourceData } = item.data;
    if (lifecycleEvent !== undefined) {
      const event = LIFECYCLE_EVENTS.find((known) => known === lifecycleEvent);
      if (event === undefined) refused.push("malformed");
      else lifecycle.push(event);
      continue;
    }
    const userId = resourceData?.id ?? USER_RESOURCE.exec(resource ?? "")?.[1];
    if (userId === undefined || !OBJECT_ID.test(userId)) {
      refused.push("not_a_user");
      continue;
    }
    changes.push({ userId: userId.toLowerCase(), changeType: changeType === "deleted" ? "deleted" : "updated" });
  }
  return { ok: true, changes, lifecycle, refused };
}

/** Null when the item is Graph's (its clientState matches its subscription's, in its tenant); else why not. */
async function verify(item: z.infer<typeof ItemSchema>, context: { tenantId: string; secrets: SubscriptionSecret[] }): Promise<RefusalReason | null> {
  if (!item.clientState) return "missing_client_state";
  const subscriptionId = item.subscriptionId?.toLowerCase();
  const candidates = context.secrets.filter((secret) => secret.subscriptionId === null || secret.subscriptionId === subscriptionId);
  if (subscriptionId === undefined || candidates.length === 0) return "unknown_subscription";
  if (
    !(await matchesAnySecret(
      item.clientState,
      candidates.map((secret) => secret.clientState),
    ))
  )
    return "client_state_mismatch";
  if (item.tenantId?.toLowerCase() !== context.tenantId) return "wrong_tenant";
  return null;
}
