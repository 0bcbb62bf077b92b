// The page's only way out: fetch to this origin's /v1 with the operator token, which lives in
// sessionStorage (this tab only) and travels only in the Authorization header. Every failure becomes an
// ApiError whose message is what the page shows.

const TOKEN_KEY = "access-revoker.operator-token";
export const REFRESH_MS = 3000;

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  forget: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly kind: "unreachable" | "unauthorized" | "failed",
    message: string,
  ) {
    super(message);
  }
}

type ErrorBody = { error?: { message?: string } };

/** The JSON answer of `method /v1<path>`, or an ApiError saying what went wrong. */
export async function api<T>(path: string, method = "GET"): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/v1${path}`, { method, headers: { Authorization: `Bearer ${token.get()}` }, cache: "no-store" });
  } catch (error) {
    throw new ApiError(
      "unreachable",
      `The API could not be reached (${error instanceof Error ? error.message : String(error)}). Is the Worker running? Retrying every ${REFRESH_MS / 1000} s.`,
    );
  }
  if (response.status === 401) throw new ApiError("unauthorized", "That token was not accepted. Paste the operator token again.");
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok || body === null) {
    const reason = (body as ErrorBody | null)?.error?.message ?? `HTTP ${response.status}${body === null ? " without a JSON answer" : ""}`;
    throw new ApiError("failed", `The API answered ${response.status} to ${method} /v1${path}: ${reason}`);
  }
  return body as T;
}

/** A file the API answers (the offboarding report), or an ApiError saying what went wrong. */
export async function download(path: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(`/v1${path}`, { headers: { Authorization: `Bearer ${token.get()}` }, cache: "no-store" });
  } catch (error) {
    throw new ApiError("unreachable", `The API could not be reached (${error instanceof Error ? error.message : String(error)}).`);
  }
  if (response.status === 401) throw new ApiError("unauthorized", "That token was not accepted. Paste the operator token again.");
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as ErrorBody | null;
    throw new ApiError("failed", `The API answered ${response.status}: ${body?.error?.message ?? "no reason given"}`);
  }
  return response.blob();
}
