/**
 * @module The Reporter role for `mcpgov test`: renders a TestRun to an
 * injected writer, so tests capture output without a subprocess.
 */
import { relative } from "node:path";
import type { TestRun } from "../testing/results.js";

export type TestFormat = "pretty" | "json" | "junit";

/** Receives whole blocks of text; the CLI passes its stdout or stderr. */
export type Writer = (text: string) => void;

export interface TestReporter {
  report(run: TestRun): void;
}

export interface ReporterOptions {
  /** Paths are shown relative to this folder when they are inside it. */
  cwd?: string;
  /** Pretty: a line for every test and case (`-v`); otherwise only failures, errors and the summary, as `opa test` does. */
  verbose?: boolean;
  /** Colours status words; the CLI passes one only when colour is on (a terminal, no NO_COLOR). */
  paint?: (text: string, style: "red" | "green" | "yellow") => string;
}

export function shownPath(path: string, options: ReporterOptions): string {
  const rel = relative(options.cwd ?? process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel.split("\\").join("/") : path;
}

/** Like `opa test`: 123µs, 1.23ms, 1.23s. */
export function formatDuration(ns: number): string {
  if (ns < 1_000_000) return `${Math.round(ns / 1000)}µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(2)}ms`;
  return `${(ns / 1_000_000_000).toFixed(2)}s`;
}

/** A value in a diff: strings bare, anything else as JSON, a missing value as (absent). */
export function formatValue(value: unknown): string {
  if (value === undefined) return "(absent)";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function formatPercent(percent: number): string {
  return Number.isInteger(percent) ? String(percent) : percent.toFixed(1);
}
