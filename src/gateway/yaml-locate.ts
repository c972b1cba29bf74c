/** @module Finds the line of a value in a parsed YAML document by its path, so a schema issue can name where it is. */
import { type Document, isMap, isScalar, isSeq } from "yaml";

/**
 * The offset of the deepest node along `path` that the document has, and
 * whether the whole path was found. A map entry is reported at its key (the
 * line a reader looks for: `transport:`, not the block below it); a missing
 * field at the key of the nearest parent that exists.
 */
export function locatePath(doc: Document, path: readonly PropertyKey[]): { offset: number; found: boolean } {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  let found = 0;
  for (const part of path) {
    let next: unknown;
    let keyNode: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(part));
      next = pair?.value;
      keyNode = pair?.key;
    } else if (isSeq(node) && typeof part === "number") {
      next = node.items[part];
    }
    const start = rangeStart(keyNode) ?? rangeStart(next);
    if (start === undefined) break;
    offset = start;
    found++;
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
