// Validation at the edge through one hook: Standard Schema (zod/mini here) via hono-openapi's validator
// (@hono/standard-validator underneath, which also puts the schema in the OpenAPI document), every failure
// rendered as 400 invalid_request naming the fields. Routes read `c.req.valid(target)`.
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { ValidationTargets } from "hono";
import { validator } from "hono-openapi";
import * as z from "zod/mini";
import { fail } from "./errors";

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

export function validate<Target extends keyof ValidationTargets, Schema extends StandardSchemaV1>(target: Target, schema: Schema) {
  return validator(target, schema, (result) => {
    if (!result.success) fail("invalid_request", describeStandardIssues(result.error));
  });
}

/** A route that takes no query parameters: a misspelled one (`?stauts=`) is a 400 naming it, not silently ignored. */
export const noQuery = () => validate("query", z.strictObject({}));
