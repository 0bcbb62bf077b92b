// `ledger.scim()`: the SCIM operations as an RPC target of the ledger, each one transaction.
// Resources cross RPC as JSON text: RPC cannot type an open-ended JSON object.
import { RpcTarget } from "cloudflare:workers";
import type { CommitReceipt } from "../../domain/revocation";
import type { ScimOutcome } from "../../domain/scim/outcome";
import type { Json } from "../../domain/scim/resource";
import type { LedgerCore } from "../core";
import { noteAccepted } from "../deliveries/liveness";
import { commitRequest } from "../revocations/commit";
import { emailsFor } from "../revocations/directory";
import { learnIdentity } from "../revocations/resolve";
import { changeScim, createScim, deleteScimResource, getScim, listScimPage, type ScimChangeRequest, type ScimContext } from "./service";
import type { ScimKind } from "./store";

const asText = <T extends Json>(outcome: ScimOutcome<T>): ScimOutcome<string> =>
  outcome.ok ? { ok: true, value: JSON.stringify(outcome.value) } : outcome;

export class ScimRpc extends RpcTarget {
  constructor(private readonly core: LedgerCore) {
    super();
  }

  private run<T>(operation: (context: ScimContext) => ScimOutcome<T>): ScimOutcome<T> {
    return this.core.transact((commit) => {
      noteAccepted(commit.sql, ["scim"], commit.now);
      return operation({
        sql: commit.sql,
        now: commit.now,
        newId: () => crypto.randomUUID(),
        groupRemoval: this.core.config().groupRemoval,
        revoker: {
          learn: (subjectId, emails) => learnIdentity(commit, "scim", subjectId, emails),
          knownEmails: (subjectId) => emailsFor(commit.sql, "scim", subjectId),
          commit: (request) => commitRequest(commit, request),
        },
      });
    });
  }

  /** A change's resource; the revocations it caused are audited (held ones) and drained. */
  private async changed(outcome: ScimOutcome<{ resource: Json; receipts: CommitReceipt[] }>): Promise<ScimOutcome<string>> {
    if (!outcome.ok) return outcome;
    this.core.auditHeld(outcome.value.receipts);
    if (outcome.value.receipts.length > 0) await this.core.arm();
    return { ok: true, value: JSON.stringify(outcome.value.resource) };
  }

  async create(kind: ScimKind, input: Json): Promise<ScimOutcome<string>> {
    return asText(this.run((context) => createScim(context, kind, input)));
  }

  async get(kind: ScimKind, id: string): Promise<ScimOutcome<string>> {
    return asText(getScim(this.core.sql, kind, id));
  }

  /** One page of the resources of a kind that match the filter; `startIndex` counts from 1. */
  async list(
    kind: ScimKind,
    filter: string | undefined,
    startIndex: number,
    count: number,
  ): Promise<ScimOutcome<{ resources: string; total: number }>> {
    const outcome = listScimPage(this.core.sql, kind, filter, startIndex, count);
    return outcome.ok ? { ok: true, value: { resources: JSON.stringify(outcome.value.resources), total: outcome.value.total } } : outcome;
  }

  async update(kind: ScimKind, id: string, change: ScimChangeRequest): Promise<ScimOutcome<string>> {
    return this.changed(this.run((context) => changeScim(context, kind, id, change)));
  }

  async remove(kind: ScimKind, id: string): Promise<ScimOutcome<string>> {
    return this.changed(this.run((context) => deleteScimResource(context, kind, id)));
  }
}
