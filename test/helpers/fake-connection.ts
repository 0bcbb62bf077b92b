// A managed-connection kind that exists only in the tests: it proves the runner (src/connections/runner.ts)
// and the ledger's record of connections with behaviours set per connection and run: succeed, fail, throw,
// hang, answer garbage, spend calls. It keeps what each run was handed (its state and record), so a test can
// see what the ledger kept for it. The real kinds (SSF streams, Google channels, Graph subscriptions) follow
// the same contract (src/connections/kind.ts).
import type { ConnectionKind, MaintainContext, MaintainResult } from "../../src/connections/kind";

export type Behaviour = (context: MaintainContext) => Promise<MaintainResult> | MaintainResult;

export const succeeds =
  (extra: Partial<Extract<MaintainResult, { verdict: "ok" }>> = {}): Behaviour =>
  () => ({ verdict: "ok", proof: "test round trip", ...extra });
export const fails =
  (error: string, extra: Partial<Extract<MaintainResult, { verdict: "failing" }>> = {}): Behaviour =>
  () => ({ verdict: "failing", error, ...extra });
export const throws =
  (message: string): Behaviour =>
  () => {
    throw new Error(message);
  };
/** Never answers, until the run's signal is aborted (and then still never answers: the deadline must decide). */
export const hangs: Behaviour = () => new Promise<MaintainResult>(() => {});

export class FakeConnectionKind {
  readonly behaviours = new Map<string, Behaviour>();
  readonly runs: { name: string; state: unknown; status: string; at: number }[] = [];
  readonly kind: ConnectionKind;

  constructor(
    readonly names: string[],
    options: { kind?: string; maxCalls?: number } = {},
  ) {
    this.kind = {
      kind: options.kind ?? "test-channel",
      maxCalls: options.maxCalls ?? 3,
      connections: () => this.names,
      maintain: async (context) => {
        this.runs.push({ name: context.name, state: context.state, status: context.record.status, at: context.now() });
        return (this.behaviours.get(context.name) ?? succeeds())(context);
      },
    };
  }

  set(name: string, behaviour: Behaviour): this {
    this.behaviours.set(name, behaviour);
    return this;
  }

  runsOf(name: string) {
    return this.runs.filter((run) => run.name === name);
  }
}
