/**
 * @module Finds the line of a value in a YAML or JSON document from its
 * path (as zod reports it), so a case file error names the line to fix.
 *
 * JSON text is parsed for positions with the YAML parser too: YAML 1.2 is
 * a superset of JSON, so its node ranges are exact for JSON files as well.
 */
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

export interface LocatedDocument {
  doc: Document;
  lineCounter: LineCounter;
}

export function locateDocument(text: string): LocatedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, keepSourceTokens: true });
  return { doc, lineCounter };
}

export function lineAt(located: LocatedDocument, offset: number): number {
  return located.lineCounter.linePos(offset).line;
}

function startOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/**
 * The line of the deepest node on `path` that exists. A map entry is
 * located at its key (so `decision: MAYBE` and a missing `decision` under
 * `expect:` both point at a line the reader recognises); a list item at its
 * first character.
 */
export function lineOfPath(located: LocatedDocument, path: readonly PropertyKey[]): number {
  let node: unknown = located.doc.contents;
  let offset = startOf(node) ?? 0;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(key));
      if (!pair) break;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === "number") {
      const item = node.items[key];
      if (item === undefined) break;
      offset = startOf(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return lineAt(located, offset);
}
