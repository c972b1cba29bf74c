/**
 * @module Reads a gates file (YAML or JSON, `mcpgov gates --gates FILE`):
 * the seed's defaults when none is given, and errors that name the file,
 * line and field when it is wrong.
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { type Diagnostic, McpgovError } from "../core/errors.js";
import { DEFAULT_GATES, type GatesFile, GatesFileSchema } from "../core/gates.js";
import { issuePath } from "../core/issues.js";
import { locatePath } from "../yaml-locate.js";

export async function loadGates(path: string | undefined): Promise<GatesFile> {
  if (path === undefined) return DEFAULT_GATES;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new McpgovError("io_error", `cannot read the gates file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const diagnostics: Diagnostic[] = doc.errors.map((e) => ({ file: path, line: lineCounter.linePos(e.pos[0]).line, message: e.message.split("\n")[0]! }));
    throw new McpgovError("input_invalid", `${path} is not valid YAML`, { data: { diagnostics } });
  }
  const parsed = GatesFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const diagnostics: Diagnostic[] = parsed.error.issues.map((issue) => ({
      file: path,
      line: lineCounter.linePos(locatePath(doc, issue.path).offset).line,
      message: `${issuePath(issue.path)}: ${issue.message}`,
    }));
    throw new McpgovError("input_invalid", `${path} is not a valid gates file`, { data: { diagnostics } });
  }
  return parsed.data;
}
