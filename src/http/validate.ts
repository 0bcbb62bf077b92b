// Validation at the edge through one hook: Standard Schema (zod/mini here) via @hono/standard-validator,
// every failure rendered as 400 invalid_request naming the fields. Routes read `c.req.valid(target)`; the
// schema is also what the OpenAPI document says the route takes (http/openapi.ts).
import { sValidator } from "@hono/standard-validator";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { ValidationTargets } from "hono";
import * as z from "zod/mini";
import { fail } from "./errors";
import { documentedInput } from "./openapi";

/** "path: message" for each issue (at most five), the same wording zod issues get elsewhere. */
function describeStandardIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = (issue.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment)).join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}

export function validate<Target extends keyof ValidationTargets, Schema extends StandardSchemaV1 & z.core.$ZodType>(target: Target, schema: Schema) {
  const middleware = sValidator(target, schema, (result) => {
    if (!result.success) fail("invalid_request", describeStandardIssues(result.error));
  });
  return documentedInput(middleware, target, schema);
}

/** A route that takes no query parameters: a misspelled one (`?stauts=`) is a 400 naming it, not silently ignored. */
export const noQuery = () => validate("query", z.strictObject({}));
