/**
 * @module The column a value sits in, for values in CSV rows and pipe
 * tables (psql, Markdown): a table names its columns once, in a header far
 * from the values, where a `key = value` rule cannot see it. Pure.
 *
 * Bounded for hostile input: a line longer than MAX_LINE or a header more
 * than MAX_ROWS_UP rows up is "no table"; headers are memoised per scan
 * (per row, so a long table is walked once) and the delimiter positions of
 * the last row asked about are kept, so each lookup is a binary search.
 */
import type { Candidate } from "./scan-rule.js";

const MAX_LINE = 2048;
const MAX_ROWS_UP = 64;
/** psql `-----+-----` and Markdown `|---|:--|` separator lines. */
const SEPARATOR = /^[\s|+:-]*-[\s|+:-]*$/;

interface Row {
  start: number;
  end: number;
  delimiter: string;
  /** Positions of the delimiter in the row. */
  cuts: number[];
}

interface Header {
  start: number;
  /** Cell names, trimmed and lower-cased. */
  cells: readonly string[];
}

interface TableMemo {
  /** The header of the table each row (by start) is in; null when none was found. */
  headers: Map<number, Header | null>;
  lastRow?: Row;
}

/** The lower-cased header name of the column holding the candidate, or undefined outside a table. */
export function columnName(c: Candidate): string | undefined {
  const memo = tableMemo(c);
  const row = rowAt(c.text, c.start, memo);
  if (!row) return undefined;
  const header = headerOf(c.text, row, memo);
  // A header names other rows, not itself; a row with a different number of cells is not one of its rows (prose with commas).
  if (!header || header.start === row.start || header.cells.length !== row.cuts.length + 1) return undefined;
  return header.cells[countBelow(row.cuts, c.start)];
}

function tableMemo(c: Candidate): TableMemo {
  let memo = c.memo.get(columnName) as TableMemo | undefined;
  if (!memo) {
    memo = { headers: new Map() };
    c.memo.set(columnName, memo);
  }
  return memo;
}

function rowAt(text: string, pos: number, memo: TableMemo): Row | undefined {
  const last = memo.lastRow;
  if (last && pos >= last.start && pos <= last.end) return last;
  const bounds = lineBounds(text, pos);
  if (!bounds) return undefined;
  const line = text.slice(bounds[0], bounds[1]);
  const delimiter = line.includes("|") ? "|" : line.includes(",") ? "," : undefined;
  if (!delimiter) return undefined;
  const cuts: number[] = [];
  for (let i = line.indexOf(delimiter); i !== -1; i = line.indexOf(delimiter, i + 1)) cuts.push(bounds[0] + i);
  memo.lastRow = { start: bounds[0], end: bounds[1], delimiter, cuts };
  return memo.lastRow;
}

/** Start and end (exclusive, before the newline) of the line holding `pos`, or undefined if it is too long. */
function lineBounds(text: string, pos: number): [number, number] | undefined {
  const from = Math.max(0, pos - MAX_LINE);
  const back = text.slice(from, pos).lastIndexOf("\n");
  if (back === -1 && from > 0) return undefined;
  const start = back === -1 ? 0 : from + back + 1;
  const ahead = text.slice(pos, pos + MAX_LINE).indexOf("\n");
  if (ahead === -1 && pos + MAX_LINE < text.length) return undefined;
  const end = ahead === -1 ? text.length : pos + ahead;
  return end - start > MAX_LINE ? undefined : [start, end];
}

/**
 * Walks up from `row` to its table's header: the line above a separator
 * line, or the first line of a block of rows with the same delimiter.
 */
function headerOf(text: string, row: Row, memo: TableMemo): Header | undefined {
  const visited: number[] = [];
  let result: Header | null = null;
  let start = row.start;
  for (let steps = 0; steps < MAX_ROWS_UP; steps++) {
    const known = memo.headers.get(start);
    if (known !== undefined) {
      result = known;
      break;
    }
    visited.push(start);
    const above = start === 0 ? undefined : lineBounds(text, start - 1);
    const aboveLine = above ? text.slice(above[0], above[1]) : "";
    if (above && SEPARATOR.test(aboveLine) && aboveLine.trim() !== "") {
      const header = above[0] === 0 ? undefined : lineBounds(text, above[0] - 1);
      result = header ? { start: header[0], cells: cells(text.slice(header[0], header[1]), row.delimiter) } : null;
      break;
    }
    if (!above || !aboveLine.includes(row.delimiter)) {
      // The top of a block: a CSV header (a pipe table without a separator line has none).
      result = row.delimiter === "," ? { start, cells: cells(text.slice(start, lineBounds(text, start)?.[1] ?? start), ",") } : null;
      break;
    }
    start = above[0];
  }
  for (const v of visited) memo.headers.set(v, result);
  return result ?? undefined;
}

function cells(line: string, delimiter: string): string[] {
  return line.split(delimiter).map((cell) => cell.trim().toLowerCase());
}

/** How many of the sorted `cuts` lie before `pos`. */
function countBelow(cuts: readonly number[], pos: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid]! < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
