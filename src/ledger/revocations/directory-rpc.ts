// `ledger.directory()`: the identity directory as an RPC target of the ledger. A write that makes an
// unresolved revocation resolvable queues it in the same transaction.
import { RpcTarget } from "cloudflare:workers";
import type { DirectoryEntry } from "../../domain/views";
import type { LedgerCore } from "../core";
import { deleteIdentity, readIdentity } from "./directory";
import { learnIdentity } from "./resolve";

export class DirectoryRpc extends RpcTarget {
  constructor(private readonly core: LedgerCore) {
    super();
  }

  /** Replaces a subject's emails; answers the entry and how many waiting revocations it resolved. */
  async put(source: string, subjectId: string, emails: string[]): Promise<{ entry: DirectoryEntry | null; resolved: number }> {
    const resolved = this.core.transact((context) => learnIdentity(context, source, subjectId, emails, true));
    if (resolved > 0) await this.core.arm();
    return { entry: readIdentity(this.core.sql, source, subjectId), resolved };
  }

  async get(source: string, subjectId: string): Promise<DirectoryEntry | null> {
    return readIdentity(this.core.sql, source, subjectId);
  }

  async remove(source: string, subjectId: string): Promise<boolean> {
    return this.core.transact(({ sql }) => deleteIdentity(sql, source, subjectId));
  }

  /** Adds (subject id, email) pairs in one transaction, grouped by subject; answers how many waiting revocations they resolved. */
  async import(source: string, entries: { subject_id: string; email: string }[]): Promise<{ resolved: number }> {
    const bySubject = Map.groupBy(entries, (entry) => entry.subject_id);
    const resolved = this.core.transact((context) =>
      [...bySubject].reduce(
        (total, [subject, rows]) =>
          total +
          learnIdentity(
            context,
            source,
            subject,
            rows.map((row) => row.email),
          ),
        0,
      ),
    );
    if (resolved > 0) await this.core.arm();
    return { resolved };
  }
}
