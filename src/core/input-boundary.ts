/**
 * @module What no envelope may carry, whatever its schema: text that is
 * not well-formed Unicode (a lone surrogate, see well-formed.ts) and numbers
 * JSON.parse does not read exactly (see numbers.ts). Both would make the
 * WASM engine and OPA decide differently, so parseAnyEnvelope refuses the
 * envelope with an issue at the field.
 */
import { z } from "zod";
import { unsafeNumberPath } from "./numbers.js";
import { toWellFormed } from "./well-formed.js";

const isWellFormedText = (text: string): boolean => toWellFormed(text) === text;

type Path = (string | number)[];

function illFormedPath(value: unknown, depth = 0): Path | undefined {
  if (typeof value === "string") return isWellFormedText(value) ? undefined : [];
  if (depth > 128 || typeof value !== "object" || value === null) return undefined;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, item] of entries) {
    if (typeof key === "string" && !isWellFormedText(key)) return [key];
    const found = illFormedPath(item, depth + 1);
    if (found) return [key, ...found];
  }
  return undefined;
}

/** A ZodError naming the first field the engine and OPA would read differently, or undefined. */
export function boundaryError(value: unknown): z.ZodError | undefined {
  const illFormed = illFormedPath(value);
  if (illFormed) {
    return new z.ZodError([{ code: "custom", path: illFormed, message: "not well-formed Unicode (lone UTF-16 surrogate)", input: undefined }]);
  }
  const unsafe = unsafeNumberPath(value);
  if (unsafe) {
    return new z.ZodError([
      { code: "custom", path: unsafe, message: "number not exactly representable (non-finite, or an integer beyond ±(2^53 − 1)); send it as a string", input: undefined },
    ]);
  }
  return undefined;
}
