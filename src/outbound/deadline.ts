// One outbound exchange under a deadline: the request is aborted when `timeoutMs` passes, and every step the
// caller awaits through `bounded` (the fetch, the reading of its body) is also raced against that moment, so a
// fetch or a body that ignores its signal cannot hold the caller past the limit. The SSF receiver's and the
// Entra source's JSON exchanges and the alert sender share it; each reads and judges the answer its own way.
// Contract: answers what `work` answers, or "timeout" once the deadline has passed (a step that ended at the
// deadline, or a throw caused by the abort); any other throw of `work` is the caller's (a network error).
// The timer is always cleared.
export type Bounded = <T>(step: Promise<T>) => Promise<T | "timeout">;

export async function withDeadline<T>(
  timeoutMs: number,
  work: (bounded: Bounded, signal: AbortSignal) => Promise<T | "timeout">,
): Promise<T | "timeout"> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve("timeout");
    }, timeoutMs);
  });
  const bounded: Bounded = (step) => Promise.race([step, timedOut]);
  try {
    return await work(bounded, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return "timeout";
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
