// zod at the edges, as zod/mini: the classic `zod` build carries every locale and adds ~90 KB gzipped to
// the Worker (measured with esbuild --minify: 93 KB vs 5 KB for the same schema). English messages only.
// Modules import `* as z from "zod/mini"` themselves: re-exporting the namespace would defeat tree-shaking.
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

z.config(en());

/** Renders zod issues as "path: message" for a 400 answer. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

/** An email as the ledger keys it: trimmed, at most 254 characters (RFC 5321), lower case (records keep the spelling received: email_as_received). */
export const EmailSchema = z.pipe(
  z.string().check(z.trim(), z.maxLength(254), z.email()),
  z.transform((email: string) => email.toLowerCase()),
);
