/** @module Turns zod issues into one readable line per failing field, path first. */
import type { z } from "zod";

export function issuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else {
      const key = String(part);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Messages name the field and the problem, never the offending value (it may be a secret). */
export function describeIssues(error: z.ZodError, limit = 5): string {
  const lines = error.issues.slice(0, limit).map((issue) => `${issuePath(issue.path)}: ${issue.message}`);
  const more = error.issues.length - limit;
  return lines.join("; ") + (more > 0 ? `; and ${more} more` : "");
}
