/**
 * @module The QuarantineStore role: outputs the output policy withheld,
 * kept for a human to review. An item's life is `held → released` or
 * `held → discarded`; both are final. The withheld result is the sensitive
 * part: it is returned by `content` only, never by `get` or `list`, and a
 * discard deletes it (the metadata and the transition stay as evidence).
 */
import { z } from "zod";

export const QuarantineStateSchema = z.enum(["held", "released", "discarded"]);
export type QuarantineState = z.infer<typeof QuarantineStateSchema>;

const Time = z.iso.datetime({ precision: 3 });

/** What the gateway knows when it withholds an output. */
export const NewQuarantineItemSchema = z
  .object({
    call_id: z.string().min(1),
    time: Time.describe("When the output was withheld (UTC, milliseconds)."),
    subject: z.object({ id: z.string().min(1), tenant: z.string().min(1).optional() }).strict().describe("Who called the tool; only this subject may fetch a released output."),
    server: z.string().min(1),
    tool: z.string().min(1),
    rules: z.array(z.string().min(1)).min(1).describe("The output policy rules that quarantined."),
    reason: z.string().min(1),
    bundle: z.object({ hash: z.string().min(1), revision: z.string() }).strict(),
    findings: z.record(z.string(), z.number().int().nonnegative()).describe("Finding counts by type, never values."),
    /** The withheld result as JSON text, exactly as the tool returned it. */
    result_json: z.string(),
  })
  .strict();
export type NewQuarantineItem = z.infer<typeof NewQuarantineItemSchema>;

/** An item without its content: what lists and transitions return. */
export const QuarantineItemSchema = NewQuarantineItemSchema.omit({ result_json: true })
  .extend({
    id: z.string().min(1),
    size_bytes: z.number().int().nonnegative().describe("UTF-8 size of the withheld result's JSON."),
    state: QuarantineStateSchema,
    content_kept: z.boolean().describe("False once discarded: the withheld result is deleted."),
    reviewer: z.string().min(1).optional(),
    review_reason: z.string().min(1).optional(),
    reviewed_at: Time.optional(),
  })
  .strict()
  .describe("mcpgov quarantine item (metadata)");
export type QuarantineItem = z.infer<typeof QuarantineItemSchema>;

/** A reviewer's decision on a held item. */
export interface Review {
  reviewer: string;
  reason: string;
  time: string;
}

export type TransitionResult =
  | { ok: true; item: QuarantineItem }
  /** `not_found`: no such id. `wrong_state`: someone already decided it (the item says how). */
  | { ok: false; error: "not_found" }
  | { ok: false; error: "wrong_state"; item: QuarantineItem };

export interface QuarantineListFilter {
  state?: QuarantineState;
  /** Most items returned, newest first (default 100). */
  limit?: number;
}

export interface QuarantineStore {
  /**
   * Keeps a withheld output as `held`. When the promise resolves the item
   * is durable; on rejection nothing was kept (the caller still withholds).
   */
  hold(item: NewQuarantineItem): Promise<QuarantineItem>;
  get(id: string): Promise<QuarantineItem | undefined>;
  /** The item and its withheld result (undefined once discarded). */
  content(id: string): Promise<{ item: QuarantineItem; result_json: string | undefined } | undefined>;
  /** Metadata only, newest first. */
  list(filter?: QuarantineListFilter): Promise<QuarantineItem[]>;
  /**
   * `held → released` and `held → discarded` (which deletes the content).
   * Compare-and-set: of concurrent transitions on one item exactly one
   * succeeds; the others get `wrong_state`. Durable before it resolves.
   */
  release(id: string, review: Review): Promise<TransitionResult>;
  discard(id: string, review: Review): Promise<TransitionResult>;
  /**
   * Retention: every item withheld before `before` that still has content
   * loses it. A held item becomes `discarded` by `review` (the gateway
   * itself); a released one stays released, its content deleted. Returns
   * the items it changed, as they are afterwards.
   */
  expire(before: string, review: Review): Promise<QuarantineItem[]>;
  countByState(): Promise<Record<QuarantineState, number>>;
  close(): Promise<void>;
}
