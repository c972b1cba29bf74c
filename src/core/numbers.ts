/**
 * @module Numbers at the input boundary. The WASM engine sees the input
 * after JSON.parse, which turns `1e400` into Infinity (then `null`) and
 * rounds integers past 2^53 to a neighbour, while OPA reads the raw text
 * exactly. Such an envelope would decide differently under `opa test` and
 * in the gateway, so mcpgov refuses it, naming the field.
 *
 * Fractional numbers are fine when finite. Integer-valued numbers must be
 * safe integers (|n| ≤ 2^53 − 1), and every double of magnitude ≥ 2^53 is
 * integer-valued, so `1.5e300` is refused too (its text may hold digits a
 * double cannot; send such values as strings):
 * JSON.parse("9007199254740993") gives 9007199254740992, which is already
 * past the limit, so every integer JSON.parse rounded is caught.
 */
import { issuePath } from "./issues.js";

/** Whether a number reads the same after JSON.parse as OPA reads its text. */
export const isSafeNumber = (n: number): boolean => Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n));

/** The path (keys and indexes) of the first unsafe number in `value`, or undefined. */
export function unsafeNumberPath(value: unknown, depth = 0): (string | number)[] | undefined {
  if (typeof value === "number") return isSafeNumber(value) ? undefined : [];
  if (depth > 128 || typeof value !== "object" || value === null) return undefined;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, item] of entries) {
    const found = unsafeNumberPath(item, depth + 1);
    if (found) return [key, ...found];
  }
  return undefined;
}

/**
 * The JSON path (from `root`) of the first number that is not finite or is
 * an integer beyond ±(2^53 − 1), or undefined when every number is safe.
 */
export function findUnsafeNumber(value: unknown, root = "$"): string | undefined {
  const path = unsafeNumberPath(value);
  if (path === undefined) return undefined;
  if (path.length === 0) return root;
  const rest = issuePath(path);
  return rest.startsWith("[") ? `${root}${rest}` : `${root}.${rest}`;
}
