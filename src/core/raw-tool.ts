/** @module A tool definition exactly as a server listed it: every field kept, known to the SDK or not. */
import { z } from "zod";

/**
 * Only `name` is checked; every other field (description, inputSchema,
 * annotations, _meta, vendor extensions…) is kept, because pins hash the
 * whole definition and a field we dropped is a field a server could change unseen.
 */
export const RawToolSchema = z.looseObject({ name: z.string().min(1) });
export type RawTool = z.infer<typeof RawToolSchema>;

/** One page of a raw `tools/list` result. */
export const RawToolsPageSchema = z.looseObject({
  tools: z.array(RawToolSchema),
  nextCursor: z.string().optional(),
});
