// The fetch a managed-connection kind gets for one run: at most `calls` calls, each aborted after `timeoutMs`
// (and raced against that timer, so a fetch that ignores its signal cannot hold the run), none after the
// run's own signal is aborted (its deadline), and redirects not followed unless the kind asks (a management
// API or token endpoint is where the configuration says, and an Authorization header must not follow a
// redirect elsewhere).
// Contract: the timeout covers the call until its answer's headers; reading the body is bounded by the run's
// deadline. A call past the budget throws ConnectionBudgetSpent before anything is sent.

export class ConnectionBudgetSpent extends Error {
  constructor(calls: number) {
    super(`this run's ${calls} outbound call(s) are spent; the rest waits for the next Cron run`);
    this.name = "ConnectionBudgetSpent";
  }
}

export type BoundedFetch = { fetch: typeof fetch; used(): number };

export function boundedFetch(options: { fetch: typeof fetch; calls: number; timeoutMs: number; signal: AbortSignal }): BoundedFetch {
  let used = 0;
  const bounded = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (options.signal.aborted) throw new Error("the run's deadline has passed");
    if (used >= options.calls) throw new ConnectionBudgetSpent(options.calls);
    used++;
    const controller = new AbortController();
    const abort = () => controller.abort();
    options.signal.addEventListener("abort", abort);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`no answer within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
    });
    try {
      return await Promise.race([options.fetch(input, { ...init, redirect: init?.redirect ?? "manual", signal: controller.signal }), timedOut]);
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener("abort", abort);
    }
  };
  return { fetch: bounded as typeof fetch, used: () => used };
}
