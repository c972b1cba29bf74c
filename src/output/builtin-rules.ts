/**
 * @module The built-in secret and PII rules, as data. Each names the type it
 * reports; the order of the array does not matter (priority settles overlaps).
 * See scan-rule.ts for what keeps every pattern linear.
 */
import {
  cardShape,
  emailShape,
  entropyAtLeast,
  genericAssignment,
  ipv4Shape,
  ipv6Shape,
  jwtShape,
  notPlaceholder,
  pemBlock,
  phoneShape,
  ssnShape,
  stripeMode,
  urlPasswordShape,
  urlScheme,
} from "./rule-checks.js";
import type { ScanRule } from "./scan-rule.js";
import { charClasses, ibanValid } from "./validators.js";

export { LOW_CONFIDENCE } from "./rule-checks.js";

/** `key = value`, `key: "value"`, `"key": "value"`, `key => 'value'`, and prose `key is value`. */
const ASSIGN = String.raw`[\w.-]{0,30}?["'\x60*]{0,3}\s{0,3}(?:=>|:=|=|:|\s(?:is|to)\s)\s{0,3}`;
const VALUE = String.raw`(?:"([^"\r\n]{1,300})|'([^'\r\n]{1,300})|\x60([^\x60\r\n]{1,300})|([^\s"'\x60,;|]{1,300}))`;

export const BUILTIN_RULES: readonly ScanRule[] = [
  {
    id: "secret.aws-access-key-id",
    type: "aws_access_key",
    category: "secret",
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    prefilter: ["AKIA", "ASIA", "ABIA", "ACCA"],
    validators: [notPlaceholder],
    confidence: 0.95,
    priority: 90,
  },
  {
    id: "secret.aws-secret-access-key",
    type: "aws_secret_key",
    category: "secret",
    pattern: new RegExp(String.raw`(?:aws_?secret|secret_?access)${ASSIGN}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`, "gid"),
    group: 1,
    prefilter: ["cret", "CRET"],
    validators: [notPlaceholder, entropyAtLeast(4), (c) => charClasses(c.value) >= 3],
    confidence: 0.95,
    priority: 90,
  },
  {
    // Tables and CSV put the header far from the value: a 40-character base64 run near an AWS word.
    id: "secret.aws-secret-access-key-context",
    type: "aws_secret_key",
    category: "secret",
    // A consumed boundary character, not a lookbehind: a lookbehind is evaluated at every position
    // of a run, a negated class fails fast inside one (a third less time on clean text).
    pattern: /(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dg,
    group: 1,
    prefilter: ["ws", "WS", "cretAccess", "cret_access", "CRET_ACCESS"],
    // Tried only just before each run of 40 or more base64 characters in a window, not at every boundary in it.
    anchor: { run: { chars: "A-Za-z0-9/+", min: 40 }, offset: 1 },
    keywords: ["aws", "secretaccess", "secret_access"],
    keywordWindow: 400,
    scope: "keywords",
    validators: [notPlaceholder, entropyAtLeast(4.2), (c) => charClasses(c.value) >= 3],
    confidence: 0.7,
    priority: 85,
  },
  {
    id: "secret.gcp-api-key",
    type: "gcp_api_key",
    category: "secret",
    pattern: /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g,
    prefilter: ["AIza"],
    validators: [notPlaceholder],
    confidence: 0.95,
    priority: 90,
  },
  {
    // Also covers GCP service-account key files, whose private_key is a PEM block.
    id: "secret.private-key",
    type: "private_key",
    category: "secret",
    pattern: /-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----/g,
    prefilter: ["BEGIN"],
    validators: [pemBlock],
    confidence: 0.99,
    priority: 100,
  },
  {
    id: "secret.azure-storage-key",
    type: "azure_storage_key",
    category: "secret",
    pattern: /(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{86}==|[A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/=])/gd,
    group: 1,
    prefilter: ["Key="],
    validators: [notPlaceholder],
    confidence: 0.95,
    priority: 90,
  },
  {
    id: "secret.github-token",
    type: "github_token",
    category: "secret",
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,76}|github_pat_[A-Za-z0-9_]{70,100})(?![A-Za-z0-9_])/g,
    prefilter: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    validators: [notPlaceholder],
    confidence: 0.97,
    priority: 90,
  },
  {
    id: "secret.slack-token",
    type: "slack_token",
    category: "secret",
    pattern: /(?<![A-Za-z0-9-])xox[abposre]-\d{6,15}-[A-Za-z0-9-]{8,250}(?![A-Za-z0-9-])/g,
    prefilter: ["xox"],
    validators: [notPlaceholder],
    confidence: 0.95,
    priority: 90,
  },
  {
    id: "secret.slack-webhook",
    type: "slack_webhook",
    category: "secret",
    // No prefilter: the pattern's long literal start is searched faster than any substring of it.
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{20,120}/g,
    validators: [notPlaceholder],
    confidence: 0.95,
    priority: 90,
  },
  {
    // Test-mode keys move no money: reported, at low confidence.
    id: "secret.stripe-key",
    type: "stripe_key",
    category: "secret",
    pattern: /(?<![A-Za-z0-9_])[rs]k_(?:live|test)_[A-Za-z0-9]{10,247}(?![A-Za-z0-9])/g,
    prefilter: ["k_live_", "k_test_"],
    validators: [notPlaceholder, stripeMode],
    confidence: 0.95,
    priority: 90,
  },
  {
    id: "secret.npm-token",
    type: "npm_token",
    category: "secret",
    pattern: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g,
    prefilter: ["pm_"],
    validators: [notPlaceholder, entropyAtLeast(3.5)],
    confidence: 0.95,
    priority: 90,
  },
  {
    id: "secret.anthropic-key",
    type: "anthropic_key",
    category: "secret",
    pattern: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{32,200}(?![A-Za-z0-9_-])/g,
    prefilter: ["k-ant-"],
    validators: [notPlaceholder],
    confidence: 0.97,
    priority: 95,
  },
  {
    id: "secret.openai-key",
    type: "openai_key",
    category: "secret",
    pattern: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,200}(?![A-Za-z0-9_-])/g,
    prefilter: ["k-"],
    // Tried only at each "k-": a third of the time of the lookbehind-first search.
    anchor: { literals: ["k-"], offset: 1 },
    validators: [notPlaceholder, entropyAtLeast(3.5), (c) => charClasses(c.value) >= 3],
    confidence: 0.9,
    priority: 90,
  },
  {
    id: "secret.jwt",
    type: "jwt",
    category: "secret",
    pattern: /(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{5,2048}\.eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,2048}(?![A-Za-z0-9_-])/g,
    prefilter: ["yJ"],
    anchor: { literals: ["yJ"], offset: 1 },
    validators: [jwtShape],
    confidence: 0.95,
    priority: 92,
  },
  {
    id: "secret.url-password",
    type: "url_password",
    category: "secret",
    // Found at its "://"; the validator reads the scheme leftwards.
    pattern: /:\/\/[^\s:@/?#"'<>]{0,128}:([^\s@/"'<>]{1,256})@[A-Za-z0-9.[\]-]{1,253}/gd,
    group: 1,
    prefilter: ["@"],
    anchor: { literals: ["://"] },
    validators: [urlScheme, notPlaceholder, (c) => !/^(?:pass(?:word)?|pwd|secret|\$\w+)$/i.test(c.value), urlPasswordShape],
    confidence: 0.9,
    priority: 88,
  },
  {
    id: "secret.generic-assignment",
    type: "generic_secret",
    category: "secret",
    pattern: new RegExp(
      String.raw`(?:passw(?:or)?d|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?)${ASSIGN}${VALUE}`,
      "gid",
    ),
    group: [1, 2, 3, 4],
    validators: [genericAssignment],
    confidence: 0.8,
    priority: 50,
  },
  {
    id: "secret.bearer-token",
    type: "generic_secret",
    category: "secret",
    pattern: /(?<![A-Za-z0-9])[Bb]earer {1,3}([A-Za-z0-9._~+/-]{20,2048}={0,2})(?![A-Za-z0-9._~+/=-])/gd,
    group: 1,
    prefilter: ["Bearer", "bearer"],
    validators: [notPlaceholder, entropyAtLeast(3.0)],
    confidence: 0.85,
    priority: 60,
  },
  {
    id: "pii.email",
    type: "email",
    category: "pii",
    // Found at its @ (a literal the engine finds fast); the validator reads the local part leftwards.
    pattern: /@[A-Za-z0-9.-]{1,253}/g,
    prefilter: ["@"],
    // indexOf finds an @ at memchr speed, several times faster than the regex's own search.
    anchor: { literals: ["@"] },
    validators: [emailShape],
    confidence: 0.9,
    priority: 40,
  },
  {
    id: "pii.phone",
    type: "phone",
    category: "pii",
    // Each branch checks the character before it after its first character, not before: irregexp then
    // searches for that character ("+", "(" or a digit) instead of testing a lookbehind at every position.
    pattern:
      /(?:\+(?<![\w+./:-]\+)\d{1,15}(?:[ .-]\(?\d{1,6}\)?){0,6}|\((?<![\w+./:-]\()\d{2,4}\)[ .-]?\d{2,5}(?:[ .-]\d{2,6}){1,3}|\d(?<![\w+./:-]\d)\d{1,4}(?:[ .-]\d{2,6}){2,4})(?![\w/:-]|\.\d)/g,
    validators: [phoneShape],
    confidence: 0.85,
    priority: 30,
  },
  {
    id: "pii.payment-card",
    type: "credit_card",
    category: "pii",
    // The four leading digits are outside the alternation, the lookbehind after the first: irregexp then
    // skips ahead four digits at a time (a third of the cost of the lookbehind-first form on clean text).
    pattern: /\d(?<![\w.+-]\d)\d{3}(?:\d{9,15}|([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|([ -])\d{6}\2\d{4,5})(?![\w-]|[.,]\d)/g,
    validators: [cardShape],
    confidence: 0.9,
    priority: 45,
  },
  {
    id: "pii.iban",
    type: "iban",
    category: "pii",
    pattern: /[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g,
    validators: [(c) => ibanValid(c.value)],
    confidence: 0.95,
    priority: 45,
  },
  {
    id: "pii.us-ssn",
    type: "ssn",
    category: "pii",
    // A consumed boundary character, not a lookbehind: irregexp then skips ahead on the fixed
    // ddd-dd- shape (less than half the time on clean text).
    pattern: /(?:^|[^\w-])(\d{3}-\d{2}-\d{4})(?![\w-])/dg,
    group: 1,
    prefilter: ["-"],
    validators: [ssnShape],
    confidence: 0.85,
    priority: 44,
  },
  {
    id: "pii.ipv4",
    type: "ip_address",
    category: "pii",
    // The lookbehind follows the first digit: a pattern that starts with a plain \d is searched much faster.
    pattern: /\d(?<![\w.:-]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w-]|\.\d)/g,
    prefilter: ["."],
    validators: [ipv4Shape],
    confidence: 0.85,
    priority: 35,
  },
  {
    id: "pii.ipv6",
    type: "ip_address",
    category: "pii",
    // Found at its first colon; the validator reads the first group leftwards. Two colons at least
    // (three groups): a lone "key:value" colon is never a candidate.
    // A full stop ends a sentence, not an address, unless more of a word or an IPv4 tail follows.
    pattern: /:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{0,37}(?![\w:]|\.\w)/g,
    prefilter: [":"],
    validators: [ipv6Shape],
    confidence: 0.85,
    priority: 35,
  },
];
