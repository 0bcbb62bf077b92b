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

export type TextRequest = {
  timeoutMs: number;
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  headers?: Record<string, string>;
  body?: string;
};

/** The answer and its whole body as text. */
export type TextAnswer = { status: number; ok: boolean; headers: Headers; text: string };

/**
 * One request for JSON under the deadline, its body read as text: redirects are not followed (a 3xx is the
 * caller's to judge), `accept: application/json` unless the caller says otherwise. Answers "timeout", or
 * throws what the fetch threw (a network error); the caller reads and judges the text.
 */
export async function fetchText(fetcher: (url: string, init: RequestInit) => Promise<Response>, url: string, request: TextRequest) {
  return withDeadline<TextAnswer>(request.timeoutMs, async (bounded, signal) => {
    const init: RequestInit = {
      method: request.method ?? "GET",
      redirect: "manual",
      signal,
      headers: { accept: "application/json", ...request.headers },
    };
    if (request.body !== undefined) init.body = request.body;
    const response = await bounded(fetcher(url, init));
    if (response === "timeout") return "timeout";
    const text = await bounded(response.text());
    if (text === "timeout") return "timeout";
    return { status: response.status, ok: response.ok, headers: response.headers, text };
  });
}
