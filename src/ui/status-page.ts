// GET /ui: the operator's status page (docs/ui.md). One static document whose style and script are inline;
// it holds no data and no secret, and reads /v1 with the operator token the person pastes (and, once they
// confirm, retries a revocation or clears a hold through the same /v1 routes). Its script is TypeScript in
// ui/client/, bundled into ui/client-script.ts by `npm run build:ui`.
// Contract: nothing else loads. The Content-Security-Policy allows exactly the two inline blocks, by their
// SHA-256 hashes, and fetches to this origin; the hashes are computed once per isolate, on the first
// request (crypto.subtle is asynchronous, and a Worker does no such work at global scope).
import { Hono } from "hono";
import { cspHashSource } from "../crypto/sha256";
import { apiDoc } from "../http/openapi";
import { STATUS_PAGE_SCRIPT } from "./client-script";
import { STATUS_PAGE_STYLE } from "./style";
import { statusPageHtml } from "./template";

const STATUS_PAGE_HTML = statusPageHtml(STATUS_PAGE_STYLE, STATUS_PAGE_SCRIPT);

async function contentSecurityPolicy(): Promise<string> {
  return [
    "default-src 'none'",
    `script-src ${await cspHashSource(STATUS_PAGE_SCRIPT)}`,
    `style-src ${await cspHashSource(STATUS_PAGE_STYLE)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    // The script writes text only; any HTML sink (innerHTML, document.write) would throw.
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
}

let policy: Promise<string> | undefined;

export const statusPageRoutes = new Hono();

statusPageRoutes.get(
  "/",
  apiDoc({
    summary: "The status page, for people: the drain, holds, revocations and jobs (docs/ui.md)",
    description:
      "A static page; its script reads /v1 with the operator token the person pastes, and retries a revocation or clears a hold once confirmed.",
    tag: "drain",
    auth: "none",
    ok: { 200: { description: "an HTML page", mediaType: "text/html" } },
    errors: [],
  }),
  async function showStatusPage(c) {
    policy ??= contentSecurityPolicy();
    return c.html(STATUS_PAGE_HTML, 200, {
      "Content-Security-Policy": await policy,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-store",
    });
  },
);
