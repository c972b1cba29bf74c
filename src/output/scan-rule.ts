/**
 * @module The shape of a detection rule, shared by the built-in rules and the
 * rules operators add: a bounded regular expression, cheap prefilters,
 * keywords that must precede the value, and validators.
 *
 * Linear time is a property of each rule, not of the engine: a pattern may
 * not nest quantifiers or alternate ambiguously, bounds every repetition,
 * and, where its first characters can repeat, starts with a lookbehind that
 * admits only the start of a run. A failed attempt then costs at most the
 * bound, and only runs, not every position in a run, are attempted.
 */

export interface Candidate {
  /** The whole text being scanned (context for keywords). */
  text: string;
  /** The value a finding would cover. */
  value: string;
  start: number;
  end: number;
  match: RegExpExecArray;
  /**
   * Scratch space shared by the validators for one scan of one text, for
   * context worth computing once per text (a table's header), keyed by the
   * validator's own function or symbol.
   */
  memo: Map<unknown, unknown>;
}

/**
 * A check on a candidate: `false` drops it, `true` keeps it, a number sets
 * the confidence, and `{ start, end }` moves the span (a PEM block runs to
 * its END line; an email found at its `@` extends left to its local part).
 */
export type Validator = (candidate: Candidate) => boolean | number | { confidence?: number; start?: number; end?: number };

export interface ScanRule {
  id: string;
  type: string;
  category: "secret" | "pii";
  /** A global regular expression; add the `d` flag when `group` is set. */
  pattern: RegExp;
  /** Capture group holding the value (the first that matched, if a list); the whole match when absent. */
  group?: number | readonly number[];
  /**
   * The rule runs only if the text contains one of these (case-sensitive
   * substrings). Pick substrings that start with a rare character: the
   * search skips ahead by its first character ("yJ", not "eyJ").
   */
  prefilter?: readonly string[];
  /**
   * Where every match starts: `offset` characters before an occurrence of
   * one of `literals` (case-sensitive). The pattern then runs only there
   * (see match-cursor.ts), not over the whole text. A wrong anchor hides
   * matches: every rule's anchor is checked against its plain search.
   */
  anchor?: RuleAnchor;
  /** Lower-case words of which one must appear within `keywordWindow` characters before the value. */
  keywords?: readonly string[];
  keywordWindow?: number;
  /**
   * "keywords": run the pattern only in the `keywordWindow` characters after
   * each keyword, for patterns too common to run over the whole text.
   */
  scope?: "text" | "keywords";
  /** Minimum Shannon entropy (bits per character) of the value. */
  minEntropy?: number;
  validators?: readonly Validator[];
  confidence: number;
  /** Where findings overlap, the higher priority wins (specific credentials over generic ones). */
  priority: number;
}

/**
 * Where every match of a rule starts: `offset` characters before an
 * occurrence of one of `literals` (case-sensitive), or before the start of
 * a run of at least `run.min` characters of the class `run.chars` (or at the
 * start of the searched text, when that is nearer).
 */
export type RuleAnchor = { offset?: number } & (
  | {
      /** Pick literals that start with a rare character: `indexOf` skips ahead by it. */
      literals: readonly string[];
      run?: undefined;
    }
  | {
      /** A class body of ASCII characters, as between the brackets of a regular expression ("A-Za-z0-9/+"). */
      run: { chars: string; min: number };
      literals?: undefined;
    }
);

/** Whether one of `words` (lower case) appears within `window` characters before `start`. */
export function keywordBefore(text: string, start: number, window: number, words: readonly string[]): boolean {
  const context = text.slice(Math.max(0, start - window), start).toLowerCase();
  return words.some((w) => context.includes(w));
}
