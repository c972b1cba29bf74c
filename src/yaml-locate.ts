/**
 * @module Finds where a value sits in a parsed YAML (or JSON: YAML 1.2 is a
 * superset, so node ranges are exact for JSON too) document from its path as
 * zod reports it, so an error can name the line to fix. Shared by the
 * gateway config, YAML rule files and test case files.
 */
import { type Document, isMap, isScalar, isSeq } from "yaml";

export interface LocateOptions {
  /**
   * Where a map entry is reported: at its key (default: the line a reader
   * looks for, `transport:` rather than the block below it) or at its value.
   */
  prefer?: "key" | "value";
  /** Report the last step at its key whatever `prefer` says (an unknown key is named where it is written). */
  lastAtKey?: boolean;
}

/**
 * The offset of the deepest node along `path` that the document has, and
 * whether the whole path was found; a missing field is reported where the
 * nearest parent that exists is.
 */
export function locatePath(doc: Document, path: readonly PropertyKey[], options: LocateOptions = {}): { offset: number; found: boolean } {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  let found = 0;
  for (const [index, part] of path.entries()) {
    let next: unknown;
    let keyNode: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(part));
      next = pair?.value;
      keyNode = pair?.key;
    } else if (isSeq(node) && typeof part === "number") {
      next = node.items[part];
    }
    const atKey = options.prefer !== "value" || (options.lastAtKey === true && index === path.length - 1);
    const start = atKey ? (rangeStart(keyNode) ?? rangeStart(next)) : (rangeStart(next) ?? rangeStart(keyNode));
    if (start === undefined) break;
    offset = start;
    found = index + 1;
    node = next;
  }
  return { offset, found: found === path.length };
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === "object" && "range" in node) {
    const range = (node as { range?: readonly number[] | null }).range;
    if (range && typeof range[0] === "number") return range[0];
  }
  return undefined;
}
