/**
 * @module Checks a candidate value must pass before it becomes a finding:
 * checksums (Luhn, mod-97), entropy, and the shapes of false positives
 * (placeholders, UUIDs, hashes, version numbers). Pure and linear in the
 * candidate, which the rules already bound in length.
 */

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Luhn check over the digits of `value` (separators ignored). */
export function luhnValid(value: string): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let i = value.length - 1; i >= 0; i--) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    digits++;
    let d = c;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits > 0 && sum % 10 === 0;
}

/** IBAN lengths by country (ISO 13616 registry, common SEPA and non-SEPA countries). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DK: 18,
  DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27,
  MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SE: 24, SI: 19, SK: 24, SM: 27,
  TN: 24, TR: 26, UA: 29, VG: 24, XK: 20,
};

/** ISO 13616: known country, right length, and the number mod 97 is 1. */
export function ibanValid(value: string): boolean {
  const iban = value.replace(/ /g, "").toUpperCase();
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/** Card brands by IIN prefix and length; a Luhn-valid number outside them is an account or order number. */
export function cardBrand(digits: string): string | undefined {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === "4" && (n === 13 || n === 16 || n === 19)) return "visa";
  if (((p2 >= 51 && p2 <= 55) || (p6 >= 222100 && p6 <= 272099)) && n === 16) return "mastercard";
  if ((p2 === 34 || p2 === 37) && n === 15) return "amex";
  if ((p4 === 6011 || p2 === 65 || (p6 >= 644000 && p6 <= 649999)) && n >= 16 && n <= 19) return "discover";
  if (p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19) return "jcb";
  if ((p2 === 36 || p2 === 38 || (p4 >= 3000 && p4 <= 3059)) && n >= 14 && n <= 19) return "diners";
  if ((p2 === 62 || p2 === 81) && n >= 16 && n <= 19) return "unionpay";
  return undefined;
}

/** US SSN ranges the SSA never issues: area 000, 666, 900–999; group 00; serial 0000. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== "00" && serial !== "0000";
}

/** Words that mark a documented or templated value rather than a real one. */
const PLACEHOLDER_WORDS = ["example", "xxxx", "your", "changeme", "change_me", "dummy", "placeholder", "sample", "redacted", "replace", "insert", "fake", "notreal", "secret_here", "here>", "todo", "****", "...", "…"];

/**
 * A placeholder: a documented example, a template reference (`${VAR}`,
 * `{{ x }}`, `<your-key>`, `%VAR%`, `$VAR`), or a value with too few
 * distinct characters to be random (`aaaa…`, `0000…`).
 */
export function isPlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  if (PLACEHOLDER_WORDS.some((w) => lower.includes(w))) return true;
  if (/\$\{|\{\{|\}\}|^<|>$|^%[\w]+%$|^\$[A-Za-z_]/.test(value)) return true;
  return distinctChars(value, 8) < Math.min(8, Math.ceil(value.length / 3));
}

/** Distinct characters in `value`, counting no further than `cap`. */
export function distinctChars(value: string, cap: number): number {
  const seen = new Set<number>();
  for (let i = 0; i < value.length && seen.size < cap; i++) seen.add(value.charCodeAt(i));
  return seen.size;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]+$/i;

export const isUuid = (value: string): boolean => value.length === 36 && UUID.test(value);

/** md5, sha1 (git), sha256 and sha512 lengths of hex. */
export const isHexDigest = (value: string): boolean => [32, 40, 64, 128].includes(value.length) && HEX.test(value);

/** How many of lower, upper, digit and other characters appear. */
export function charClasses(value: string): number {
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let other = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}

/** Decodes base64url (or base64) to a string, or undefined when it is not base64. */
export function decodeBase64Url(value: string): string | undefined {
  const b64 = value.replace(/-/g, "+").replace(/_/g, "/");
  try {
    return atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  } catch {
    return undefined;
  }
}

/** A JWT header: base64url of a JSON object that names an `alg`. */
export function isJwtHeader(part: string): boolean {
  const json = decodeBase64Url(part);
  if (json === undefined) return false;
  try {
    const header: unknown = JSON.parse(json);
    return typeof header === "object" && header !== null && typeof (header as { alg?: unknown }).alg === "string";
  } catch {
    return false;
  }
}

/** Private, loopback, link-local, CGNAT, documentation and reserved IPv4 ranges. */
export function ipv4IsInternal(octets: readonly number[]): boolean {
  const [a, b, c] = octets as [number, number, number, number];
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    (a === 255)
  );
}

/**
 * Parses an IPv6 address (no zone, no embedded IPv4) into its eight groups,
 * or undefined. `::` may stand for one or more zero groups, once.
 */
export function parseIpv6(value: string): number[] | undefined {
  const halves = value.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups = part.split(":");
    const out: number[] = [];
    for (const g of groups) {
      if (g.length < 1 || g.length > 4 || !HEX.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** Unspecified, loopback, link-local (fe80::/10), unique-local (fc00::/7) and documentation (2001:db8::/32). */
export function ipv6IsInternal(groups: readonly number[]): boolean {
  const first = groups[0]!;
  if (groups.slice(0, 7).every((g) => g === 0)) return true;
  return (first & 0xffc0) === 0xfe80 || (first & 0xfe00) === 0xfc00 || (first === 0x2001 && groups[1] === 0x0db8);
}
