/**
 * @module The checks behind the built-in rules: what a candidate must look
 * like, beyond its pattern, to be reported (and at what confidence).
 */
import { type Candidate, keywordBefore, type Validator } from "./scan-rule.js";
import { columnName } from "./table-context.js";
import {
  cardBrand,
  charClasses,
  ipv4IsInternal,
  ipv6IsInternal,
  isJwtHeader,
  isPlaceholder,
  isUuid,
  luhnValid,
  parseIpv6,
  shannonEntropy,
  ssnValid,
} from "./validators.js";

export const notPlaceholder: Validator = (c) => !isPlaceholder(c.value);

/** Findings below this confidence are reported but not acted on by default. */
export const LOW_CONFIDENCE = 0.3;

/** A PEM private key runs from its header to the END line; a bare header (code, docs) is not a key. */
export const pemBlock: Validator = (c) => {
  const { text } = c;
  const limit = Math.min(text.length, c.end + 16_384);
  let i = c.end;
  let base64 = 0;
  for (; i < limit; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 45 /* - */ && text.startsWith("-----", i)) break;
    // Letters, digits, + / =, whitespace, `\` of JSON-escaped newlines, and the : , - of encrypted-key headers.
    const isB64 = (ch >= 48 && ch <= 57) || (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122) || ch === 43 || ch === 47 || ch === 61;
    if (isB64) base64++;
    else if (!(ch === 32 || ch === 9 || ch === 10 || ch === 13 || ch === 92 || ch === 58 || ch === 44 || ch === 45)) break;
  }
  if (base64 < 64) return false;
  const body = text.slice(c.end, Math.min(i, c.end + 256));
  if (isPlaceholder(body.replace(/[\s\\]+|\\n/g, ""))) return false;
  if (text.startsWith("-----END ", i)) {
    const close = text.indexOf("-----", i + 9);
    if (close !== -1 && close - i < 64) return { confidence: 0.99, end: close + 5 };
  }
  return { confidence: 0.9, end: i };
};

/** A URL scheme (letter, then letters, digits, + . -) must end where "://" starts. */
export const urlScheme: Validator = (c) => {
  const at = c.match.index;
  let i = at;
  while (i > 0 && at - i < 32 && /[A-Za-z0-9+.-]/.test(c.text[i - 1]!)) i--;
  return at - i >= 2 && /[A-Za-z]/.test(c.text[i]!);
};

/**
 * A password in a URL that documentation writes (`https://abc:xyz@…`,
 * `amqp://guest:guest@…`): three characters or fewer, or the user name
 * again. Reported, at low confidence.
 */
export const urlPasswordShape: Validator = (c) => {
  const user = c.text.slice(c.match.index + 3, c.start - 1);
  return c.value.length <= 3 || c.value === user ? LOW_CONFIDENCE : true;
};

export const jwtShape: Validator = (c) => {
  const dot = c.value.indexOf(".");
  if (!isJwtHeader(c.value.slice(0, dot))) return false;
  return c.value.endsWith(".") ? 0.8 : true;
};

export const stripeMode: Validator = (c) => (c.value.includes("_test_") ? LOW_CONFIDENCE : true);

/** Key names that hold settings about secrets, not secrets (max_tokens, token_type, secret_name, password_min_length). */
export const NOT_SECRET_KEY = /(?:^|[_.\-\s])(?:ids?|type|count|length|len|max|min|limit|url|uri|endpoint|path|file|name|ttl|expires?|expiry|policy|hint|field|header|param|prompt|size|used|usage|mode|method|version|format|rotation|arn|ref|hash|digest|required|enabled|less)(?:$|[_.\-\s])|tokens|tokenizer|passwordless|_at$/;
export const PASSWORD_WORDS = ["passw", "pwd", "passphrase"];
export const CODE_REFERENCE = /^(?:process\.env|os\.environ|os\.getenv|env\.|ENV\[|config\.|settings\.|self\.|this\.|secrets\.|vault:|ref\+|arn:)/;

/**
 * A value assigned to a secret-looking key: the key is read back from the
 * text (left of the keyword), then the value must look random enough for
 * what the key promises (passwords less so than tokens).
 */
export const genericAssignment: Validator = (c) => {
  const { text, match } = c;
  // The value's cheap checks first: most candidates in clean text fail them, before the key is read back.
  // A sentence's full stop is not part of the value ("The api secret is 5f5a….").
  const value = (/\s|^$/.test(text[c.end] ?? "") ? c.value.replace(/\.$/, "") : c.value).trim();
  if (value.length < 8) return false;
  let keyStart = match.index;
  while (keyStart > 0 && match.index - keyStart < 40 && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--;
  const key = text.slice(keyStart, match.index + keyLength(match[0])).toLowerCase();
  const verdict = secretValueFor(key, value);
  // Groups 1–3 are quoted values ("…", '…', `…`); group 4 is bare. Checked last: most candidates are gone by now.
  if (verdict !== false && looksLikeCode(value, match[4] === undefined, PASSWORD_WORDS.some((w) => key.includes(w)))) return false;
  return verdict;
};

/** An identifier or a property path: `BinaryLike`, `options.privateKey`, `exports.AST_NODE_TYPES`, `types$1.starstar`. */
const IDENTIFIER_PATH = /^[A-Za-z_$][\w$]{0,80}(?:\??\.[A-Za-z_$][\w$]{0,80}){0,8}$/;
/** Word-shaped runs: `Private`, `key`, `AST`. */
const WORD_RUN = /[A-Z]?[a-z]{2,}|[A-Z]{2,}(?![a-z])/g;

/**
 * Whether a value is code rather than a secret: the right-hand side of a
 * type annotation or an assignment in source (`password: BinaryLike`,
 * `progressToken: z.ZodOptional<…>`, `token = node.typeParameters`).
 * Secrets are random (few whole words) or quoted literals; code is made of
 * words. A bare value with type or call syntax (`<`, `>`, `{`, `=>`, `?.`)
 * is code; an identifier or property path whose letters are almost all
 * whole words, with at most two digits, is code. A quoted value is judged
 * the same way except for passwords, which people do make of words
 * ("CorrectHorseBatteryStaple"); a bare password of words is code only
 * without digits.
 */
export function looksLikeCode(value: string, quoted: boolean, isPassword: boolean): boolean {
  if (!quoted && /[<>{}]|\?\.|=>|::/.test(value)) return true;
  if (quoted && isPassword) return false;
  if (!IDENTIFIER_PATH.test(value)) return false;
  let letters = 0;
  let digits = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
    else if (c >= 48 && c <= 57) digits++;
  }
  if (digits > (isPassword ? 0 : 2) || letters === 0) return false;
  let words = 0;
  for (const run of value.match(WORD_RUN) ?? []) words += run.length;
  return words / letters >= 0.8;
}

/**
 * Whether `value` looks like a secret for a key with this (lower-case)
 * name: random enough for what the key promises (passwords less so than
 * tokens), and not a setting, placeholder, reference, URL or path.
 */
export function secretValueFor(key: string, value: string): boolean | number {
  if (NOT_SECRET_KEY.test(key)) return false;
  if (isPlaceholder(value) || CODE_REFERENCE.test(value)) return false;
  if (/^(?:true|false|null|none|nil|undefined|required|optional|bearer|basic)$/i.test(value) || /^[\d.,:\s-]+$/.test(value)) return false;
  if (/^(?:https?|wss?):\/\//i.test(value) || /[()[\]]/.test(value) || /(?:passw|secret|token)/i.test(value)) return false;
  // A file system path (PWD=/Users/jane/src, HOME=~/work/app) is where something is, not a secret.
  if (/^(?:~|\.{1,2})?(?:\/[\w.@+-]+){2,}\/?$/.test(value)) return false;
  if (/^[a-z0-9_-]*[./][a-z0-9_./-]*$/.test(value) && !/^[a-f0-9]+$/.test(value)) return false;
  const classes = charClasses(value);
  const entropy = shannonEntropy(value);
  const isPassword = PASSWORD_WORDS.some((w) => key.includes(w));
  if (isPassword) {
    if (classes < 2 && value.length < 16) return false;
    if (entropy < 2.5) return false;
  } else {
    if (value.length < 16 || /\s/.test(value) || classes < 2 || entropy < 3.0) return false;
  }
  return isUuid(value) ? LOW_CONFIDENCE : true;
}

/** `[\w.-]`, without a one-character string per step. */
const isKeyChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45;

/** Length of the key part of a generic-assignment match: up to the separator. */
function keyLength(m: string): number {
  const sep = m.search(/["'`*]{0,3}\s{0,3}(?:=>|:=|=|:|\s(?:is|to)\s)/);
  return sep < 0 ? m.length : sep;
}

export const LOCAL_PART = /[A-Za-z0-9._%+-]/;
export const emailShape: Validator = (c) => {
  let localStart = c.start;
  while (localStart > 0 && c.start - localStart < 64 && LOCAL_PART.test(c.text[localStart - 1]!)) localStart--;
  if (localStart === c.start || (localStart > 0 && LOCAL_PART.test(c.text[localStart - 1]!))) return false;
  const local = c.text.slice(localStart, c.start);
  const domain = c.value.slice(1).replace(/[.-]+$/, "");
  const labels = domain.split(".");
  const tld = labels[labels.length - 1]!;
  if (labels.length < 2 || !/^[A-Za-z]{2,24}$/.test(tld) || labels.some((l) => l === "" || l.startsWith("-") || l.endsWith("-"))) return false;
  if (FILE_EXTENSIONS.has(tld.toLowerCase()) || local.startsWith(".") || local.endsWith(".")) return false;
  // git@github.com:org/repo is an SSH remote, not a mailbox.
  const domainEnd = c.start + 1 + domain.length;
  if (c.text[domainEnd] === ":" && /\S/.test(c.text[domainEnd + 1] ?? " ")) return false;
  // user:password@host inside a URL is a credential, reported by its own rule.
  const before = c.text.slice(Math.max(0, localStart - 300), localStart);
  const segment = before.slice(Math.max(before.lastIndexOf(" "), before.lastIndexOf("\n"), before.lastIndexOf('"')) + 1);
  if (segment.includes("://")) return false;
  return { start: localStart, end: domainEnd };
};
export const FILE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "svg", "webp", "js", "ts", "css", "map", "json", "html", "md", "txt", "ico"]);

export const PHONE_WORDS = ["phone", "tel", "mobile", "cell", "fax", "call", "whatsapp", "sms", "contact"];
export const phoneShape: Validator = (c) => {
  const v = c.value;
  const international = v.charCodeAt(0) === 43; /* + */
  // Minified code adds constants to calls: `f(n,5)+3864292196`.
  if (international && /[)\]]/.test(c.text[c.start - 1] ?? "")) return false;
  let digits = 0;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) digits++;
  if (digits < (international ? 8 : 9) || digits > 15) return false;
  if (/^\d{4}[-./ ]\d{1,2}[-./ ]\d{1,2}(?:\D|$)/.test(v) || /^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}(?:\D|$)/.test(v)) return false;
  if (!international && !v.includes(" ") && !v.includes("-") && !/^\d{3}\.\d{3}\.\d{4}$/.test(v)) return false;
  if (new Set(v.replace(/\D/g, "")).size < 3) return false;
  const keyword = (): boolean => keywordBefore(c.text, c.start, 40, PHONE_WORDS);
  if (international || v.startsWith("(")) return keyword() ? 0.9 : 0.85;
  if (/^\d{3}([-. ])\d{3}\1\d{4}$/.test(v) || /^0\d{2,4} \d{3,4} \d{3,4}$/.test(v)) return keyword() ? 0.9 : 0.8;
  return keyword() ? 0.7 : false;
};

export const CARD_WORDS = ["card", "cc", "pan", "visa", "mastercard", "amex", "payment", "credit"];
export const cardShape: Validator = (c) => {
  const digits = c.value.replace(/\D/g, "");
  if (digits.length < 13 || digits.length > 19 || !cardBrand(digits) || !luhnValid(digits)) return false;
  if (new Set(digits).size < 3) return false;
  const keyword = keywordBefore(c.text, c.start, 40, CARD_WORDS);
  if (keyword) return 0.95;
  return digits.length === c.value.length ? 0.75 : 0.9;
};

export const ssnShape: Validator = (c) => {
  const [area = "", group = "", serial = ""] = c.value.split("-");
  if (!ssnValid(area, group, serial)) return false;
  return keywordBefore(c.text, c.start, 40, ["ssn", "social", "security"]) ? 0.95 : 0.8;
};

export const VERSION_WORDS = ["version", "ver ", "ver:", "ver=", "release", "build", "firmware", "v."];
/** Numbered parts of documents: "RFC 7518, Section 6.2.1.3". */
export const SECTION_WORDS = ["section", "§", "rfc ", "chapter", "clause"];
/** A table column of version numbers (file_version, firmware, build): four-part versions look like addresses. */
export const VERSION_COLUMN = /version|firmware|release|build|^ver$|_ver$/;
export const ipv4Shape: Validator = (c) => {
  const parts = c.value.split(".");
  if (parts.some((p) => p.length > 1 && p.startsWith("0"))) return false;
  const octets = parts.map(Number);
  if (octets.some((o) => o > 255)) return false;
  if (keywordBefore(c.text, c.start, 24, VERSION_WORDS)) return false;
  // Internal addresses are reported below the action threshold anyway: the table lookup is for the rest.
  if (ipv4IsInternal(octets)) return LOW_CONFIDENCE;
  if (keywordBefore(c.text, c.start, 24, SECTION_WORDS)) return false;
  const column = columnName(c);
  if (column !== undefined && VERSION_COLUMN.test(column)) return false;
  // 6.2.1.3 and 4.4.4.4: section numbers, or the well-known public resolvers; neither is anyone's address.
  return c.value.length === 7 ? LOW_CONFIDENCE : true;
};

export const isHexCode = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
export const isWordOrDot = (c: number): boolean => isHexCode(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c === 46;
export const ipv6Shape: Validator = (c) => {
  let start = c.start;
  while (start > 0 && c.start - start < 4 && isHexCode(c.text.charCodeAt(start - 1))) start--;
  if (start > 0 && isWordOrDot(c.text.charCodeAt(start - 1))) return false;
  // Without "::" an address has exactly seven colons: times and MAC addresses stop here, before parsing.
  if (!c.value.includes("::") && colons(c.value) !== 7) return false;
  const v = c.text.slice(start, c.end);
  if (v.split(":").length < 3 || !/\d/.test(v)) return false;
  const groups = parseIpv6(v);
  if (!groups) return false;
  // A prefix (2001:db8::, 64:ff9b::) names a network, not a host.
  return { start, confidence: ipv6IsInternal(groups) || v.endsWith("::") ? LOW_CONFIDENCE : 0.85 };
};

function colons(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) === 58) n++;
  return n;
}

export const entropyAtLeast =
  (bits: number): Validator =>
  (c: Candidate) =>
    shannonEntropy(c.value) >= bits;
