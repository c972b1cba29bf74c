/**
 * @module The README's examples, for the tests that check them. A fenced
 * block that shows output (see showsOutput) carries a marker on the
 * line before its fence, `<!-- example: NAME -->`; a test produces that
 * output for real and compares it with `expectExample`. test/readme-examples
 * .test.ts fails when a block that shows output has no marker, or a marker
 * no test claims.
 *
 * Comparison forgives what changes from run to run and nothing else: ids
 * (UUIDs), content hashes, timestamps and durations become placeholders,
 * runs of spaces (table padding) count as one, and an ellipsis (…) in the
 * README stands for anything: a whole line of it for any number of lines.
 */
import { readFileSync } from "node:fs";
import { expect } from "vitest";

export const README_PATH = new URL("../../README.md", import.meta.url);

export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  info: string;
  body: string;
  /** The marker's name, when the line before the fence has one. */
  example?: string;
}

export function readmeBlocks(text = readFileSync(README_PATH, "utf8")): ReadmeBlock[] {
  const lines = text.split("\n");
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    let end = i + 1;
    while (end < lines.length && lines[end] !== fence) end++;
    const marker = i > 0 ? /^<!-- example: ([\w.-]+) -->$/.exec(lines[i - 1]!.trim()) : null;
    blocks.push({ line: i + 1, info: open[2]!.trim(), body: lines.slice(i + 1, end).join("\n"), ...(marker ? { example: marker[1]! } : {}) });
    i = end;
  }
  return blocks;
}

/**
 * A block shows output when a `$ ` command line is followed by a line that
 * is not a command, or when it has no language: code, trees, commands alone
 * and queries are fenced with one (`sh`, `text`, `yaml`, `promql`…).
 */
export function showsOutput(block: ReadmeBlock): boolean {
  if (block.info === "") return true;
  const lines = block.body.split("\n");
  return lines.some((line, i) => line.startsWith("$ ") && i + 1 < lines.length && !lines[i + 1]!.startsWith("$ ") && lines[i + 1]!.trim() !== "");
}

export function readmeExample(name: string): string {
  const found = readmeBlocks().filter((b) => b.example === name);
  if (found.length !== 1) throw new Error(`README.md has ${found.length} blocks marked <!-- example: ${name} -->`);
  return found[0]!.body;
}

const VOLATILE: Array<[RegExp, string]> = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<uuid>"],
  [/sha256:(?:[0-9a-f]{64}|…)/g, "sha256:<hash>"],
  [/\b[0-9a-f]{64}\b/g, "<hex64>"],
  [/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g, "<time>"],
  [/\b\d+(?:\.\d+)? ?(?:ms|µs|s)(?![\w])/g, "<duration>"],
];

export function normaliseOutput(text: string): string {
  let out = text.replace(/\r\n/g, "\n");
  for (const [pattern, placeholder] of VOLATILE) out = out.replace(pattern, placeholder);
  return out
    .split("\n")
    .map((line) => line.replace(/ {2,}/g, " ").trimEnd())
    .join("\n")
    .trim();
}

/** The README block as a pattern over normalised output. */
function examplePattern(example: string): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const lines = normaliseOutput(example).split("\n");
  const source = lines.map((line) => (line.trim() === "…" ? "(?:[^\\n]*\\n)*?" : `${line.split("…").map(escape).join(".*")}\\n`)).join("");
  return new RegExp(`^${source}$`);
}

/** `transcript` is what the commands printed, with each command line (`$ …`) as the README writes it. */
export function expectExample(name: string, transcript: string): void {
  const example = readmeExample(name);
  const actual = `${normaliseOutput(transcript)}\n`;
  expect(examplePattern(example).test(actual), `README example "${name}" no longer matches the real output.\n--- README\n${example}\n--- real\n${transcript}`).toBe(true);
}
