/**
 * @module Masks secrets in recorded calls before they reach the audit store:
 * values under secret-looking keys, and strings that look like credentials.
 *
 * Masking errs on the side of hiding: a false positive costs a little
 * evidence, a false negative leaks a credential into every export and SIEM.
 */

export const MASK = "[MASKED]";

/** Key names (normalised to snake_case) whose values are secrets whatever they look like. */
const SECRET_KEYS = new Set([
  "token",
  "secret",
  "password",
  "passwd",
  "passphrase",
  "api_key",
  "apikey",
  "authorization",
  "proxy_authorization",
  "auth",
  "cookie",
  "set_cookie",
  "session",
  "private_key",
  "privatekey",
  "credential",
  "credentials",
]);

const SECRET_SUFFIXES = ["_key", "_token", "_secret", "_password"];

/** `apiKey`, `X-Api-Key` and `api.key` all normalise to `api_key`. */
function normaliseKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[-.\s]+/g, "_");
}

/** Verdicts for keys seen before: the same few keys recur in every envelope. Cleared when full, so hostile keys cannot grow it. */
const keyVerdicts = new Map<string, boolean>();
const MAX_KEY_VERDICTS = 4096;

export function isSecretKey(key: string): boolean {
  const known = keyVerdicts.get(key);
  if (known !== undefined) return known;
  const k = normaliseKey(key);
  const secret = SECRET_KEYS.has(k) || SECRET_SUFFIXES.some((suffix) => k.endsWith(suffix));
  if (keyVerdicts.size >= MAX_KEY_VERDICTS) keyVerdicts.clear();
  keyVerdicts.set(key, secret);
  return secret;
}

/**
 * Credential shapes found inside free text. Each pattern replaces only the
 * match, so an issue body that quotes a token keeps the rest of its words.
 * Prefixes need a minimum length so that words like "task-list" survive.
 */
const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, MASK],
  // An all-lowercase word after "bearer" is prose ("bearer of bad news"), not a token.
  [/\b(?:Bearer|Basic)\s+(?![a-z]+\b)[A-Za-z0-9._~+/-]{8,}=*/gi, MASK],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, MASK],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, MASK],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, MASK],
  [/\bglpat-[A-Za-z0-9_-]{20,}/g, MASK],
  [/\bxox[abposre]-[A-Za-z0-9-]{10,}/g, MASK],
  [/\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}/g, MASK],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, MASK],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, MASK],
  [/\bAIza[A-Za-z0-9_-]{35}/g, MASK],
  [/\bnpm_[A-Za-z0-9]{36}\b/g, MASK],
  // user:password@ in URLs: keep the user and host, hide the password.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:)[^\s@/]+@/gi, `$1${MASK}@`],
];

/**
 * A literal that every match of some SECRET_PATTERNS entry contains (tested
 * case-insensitively, so it is looser than the patterns). A text without
 * any cannot match a pattern and is returned as it is: one test instead of
 * thirteen replaces for almost every string of an envelope. A new pattern
 * must add its literal here (secret-mask.test.ts checks each pattern's sample).
 */
const ANY_SECRET_LITERAL = /-----BEGIN|bearer|basic|eyJ|gh[pousr]_|github_pat_|glpat-|xox[abposre]-|[sr]k_(?:live|test)_|sk-|AKIA|ASIA|AIza|npm_|:\/\//i;

/** Replaces every credential-shaped part of a text with the mask. */
export function maskText(text: string): string {
  if (!ANY_SECRET_LITERAL.test(text)) return text;
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Returns a copy of a JSON value with secrets masked. Values under secret
 * keys are replaced whole (objects included: `credentials: {…}` hides all of
 * it); `null` stays, since it says only that nothing was sent.
 */
export function maskSecrets<T>(value: T): T {
  return maskValue(value) as T;
}

function maskValue(value: unknown): unknown {
  if (typeof value === "string") return maskText(value);
  if (Array.isArray(value)) return value.map(maskValue);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out[key] = item !== null && item !== undefined && isSecretKey(key) ? MASK : maskValue(item);
    }
    return out;
  }
  return value;
}
