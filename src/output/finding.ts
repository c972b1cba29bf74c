/**
 * @module What an output scan reports: a finding names a type, a rule, a
 * confidence and where the value is, never the value itself.
 */
import { z } from "zod";

export const FindingCategorySchema = z.enum(["secret", "pii", "limit"]);
export type FindingCategory = z.infer<typeof FindingCategorySchema>;

/**
 * Offsets and lengths count UTF-16 code units of the string they name
 * (JavaScript string indices), in the original string: a value matched
 * after normalisation (invisible characters removed, NFKC) is reported
 * over its whole original span.
 */
const Span = { offset: z.number().int().nonnegative(), length: z.number().int().positive() };

export const FindingLocationSchema = z.discriminatedUnion("kind", [
  /** A plain text document (the CLI scanning a file that is not a tool result). */
  z.object({ kind: z.literal("text"), ...Span }),
  /** `content[index].text`, or `content[index].resource.text` for an embedded text resource. */
  z.object({ kind: z.literal("content"), index: z.number().int().nonnegative(), field: z.enum(["text", "resource.text"]), ...Span }),
  /**
   * A string anywhere in a JSON document, by JSON pointer (RFC 6901): a
   * value; with `part: "key"`, the key of the member the pointer names; with
   * `part: "decoded"`, the text of the base64 blob at the pointer (offsets
   * count in the decoded text).
   */
  z.object({ kind: z.literal("json"), pointer: z.string(), part: z.enum(["key", "decoded"]).optional(), ...Span }),
  /** The whole output: limits that stopped the scan. */
  z.object({ kind: z.literal("output") }),
]);
export type FindingLocation = z.infer<typeof FindingLocationSchema>;

export const FindingSchema = z.object({
  type: z.string(),
  category: FindingCategorySchema,
  ruleId: z.string(),
  confidence: z.number().min(0).max(1),
  location: FindingLocationSchema,
  /** At most the first and last four characters, for values long enough that eight characters reveal little. */
  preview: z.string().optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

/** Rule ids of the scanner's own limits; a policy quarantines outputs that carry them. */
export const OVERSIZE_RULE = "mcpgov.output.oversize";
export const FINDING_LIMIT_RULE = "mcpgov.output.finding-limit";

/**
 * `AKIA…MPLE`: four characters each side, and only for values of 16
 * characters or more, so a preview never shows more than half a value.
 */
export function maskedPreview(value: string): string | undefined {
  return value.length >= 16 ? `${value.slice(0, 4)}…${value.slice(-4)}` : undefined;
}
