/**
 * @module Finds the line of a value in a YAML or JSON document from its
 * path (as zod reports it), so a case file error names the line to fix.
 *
 * JSON text is parsed for positions with the YAML parser too: YAML 1.2 is
 * a superset of JSON, so its node ranges are exact for JSON files as well.
 */
import { type Document, LineCounter, parseDocument } from "yaml";
import { locatePath } from "../yaml-locate.js";

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

/**
 * The line of the deepest node on `path` that exists. A map entry is
 * located at its key (so `decision: MAYBE` and a missing `decision` under
 * `expect:` both point at a line the reader recognises); a list item at its
 * first character.
 */
export function lineOfPath(located: LocatedDocument, path: readonly PropertyKey[]): number {
  return lineAt(located, locatePath(located.doc, path).offset);
}
