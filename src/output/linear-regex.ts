/**
 * @module Refuses operator regexes that could backtrack badly: unbounded
 * quantifiers, repeated groups that contain a quantifier or an alternation
 * (the shapes of catastrophic backtracking), backreferences, bounds above
 * MAX_BOUND, and patterns that match the empty string. Conservative on
 * purpose: a refused pattern can always be rewritten with explicit bounds.
 */

export const MAX_BOUND = 1000;

interface Frame {
  quantified: boolean;
  alternation: boolean;
}

/** A reason the pattern is refused, or undefined when it is accepted. */
export function linearRegexProblem(source: string): string | undefined {
  const stack: Frame[] = [{ quantified: false, alternation: false }];
  let i = 0;
  // What the next quantifier applies to: a group's frame, an atom, or nothing yet.
  let previous: Frame | "atom" | undefined;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === "\\") {
      const next = source[i + 1];
      if (next !== undefined && /[1-9k]/.test(next)) return "backreferences are not allowed";
      if (next === "p" || next === "P" || next === "u" || next === "x") {
        const close = source[i + 2] === "{" ? source.indexOf("}", i) : -1;
        i = close > 0 ? close + 1 : i + 2;
      } else i += 2;
      previous = "atom";
      continue;
    }
    if (ch === "[") {
      i++;
      if (source[i] === "^") i++;
      if (source[i] === "]") i++;
      while (i < source.length && source[i] !== "]") i += source[i] === "\\" ? 2 : 1;
      if (i >= source.length) return "unterminated character class";
      i++;
      previous = "atom";
      continue;
    }
    if (ch === "(") {
      stack.push({ quantified: false, alternation: false });
      i++;
      if (source[i] === "?") {
        const rest = source.slice(i, i + 3);
        if (rest.startsWith("?<") && !rest.startsWith("?<=") && !rest.startsWith("?<!")) {
          const close = source.indexOf(">", i);
          if (close < 0) return "unterminated group name";
          i = close + 1;
        } else i += rest.startsWith("?<") ? 3 : 2;
      }
      previous = undefined;
      continue;
    }
    if (ch === ")") {
      const frame = stack.pop();
      if (!frame || stack.length === 0) return "unbalanced parenthesis";
      const parent = stack[stack.length - 1]!;
      parent.quantified ||= frame.quantified;
      parent.alternation ||= frame.alternation;
      previous = frame;
      i++;
      continue;
    }
    if (ch === "|") {
      stack[stack.length - 1]!.alternation = true;
      previous = undefined;
      i++;
      continue;
    }
    const quantifier = readQuantifier(source, i);
    if (quantifier) {
      if (quantifier.max === Infinity) return `unbounded quantifier "${quantifier.text}": write an explicit bound such as {1,${MAX_BOUND}}`;
      if (quantifier.max > MAX_BOUND) return `quantifier bound ${quantifier.max} is above ${MAX_BOUND}`;
      if (previous === undefined) return `quantifier "${quantifier.text}" has nothing to repeat`;
      if (quantifier.max > 1 && previous !== "atom" && (previous.quantified || previous.alternation)) {
        return "a repeated group may not contain a quantifier or an alternation (nested repetition backtracks catastrophically)";
      }
      stack[stack.length - 1]!.quantified = true;
      i += quantifier.text.length;
      if (source[i] === "?") i++;
      previous = undefined;
      continue;
    }
    previous = "atom";
    i++;
  }
  if (stack.length !== 1) return "unbalanced parenthesis";
  try {
    if (new RegExp(`^(?:${source})$`).test("")) return "the pattern matches the empty string";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return undefined;
}

function readQuantifier(source: string, i: number): { text: string; max: number } | undefined {
  const ch = source[i];
  if (ch === "*" || ch === "+") return { text: ch, max: Infinity };
  if (ch === "?") return { text: ch, max: 1 };
  if (ch !== "{") return undefined;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 24));
  if (!m) return undefined;
  const max = m[2] === undefined ? Number(m[1]) : m[3] === "" ? Infinity : Number(m[3]);
  return { text: m[0], max };
}
