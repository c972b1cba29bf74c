/**
 * @module The byte form OPA hashes a bundle's JSON files in for
 * `.signatures.json` (OPA's `bundle.HashFile` over a value decoded with
 * `UseNumber`): object keys sorted by bytes, no white space, numbers exactly
 * as written (`1.0` stays `1.0`, `1e3` stays `1e3`), strings as Go's
 * encoder writes them without HTML escaping (`\n \r \t \b \f`, other control
 * characters as `\u00xx`, U+2028 and U+2029 escaped, `<&>` left alone).
 *
 * JSON.parse cannot keep a number's literal, so this has its own small parser.
 */

type Value = { n: string } | string | boolean | null | Value[] | Map<string, Value>;

// Sticky: matched at the parser's offset, without copying the rest of the text.
// eslint-disable-next-line no-control-regex -- JSON forbids raw control characters in strings
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex -- exactly the characters Go's encoder escapes
const GO_ESCAPED = /["\\\u0000-\u001f\u2028\u2029]/g;

class Parser {
  private i = 0;

  constructor(private readonly text: string) {}

  parse(): Value {
    const value = this.value();
    this.space();
    if (this.i !== this.text.length) this.fail("unexpected text after the value");
    return value;
  }

  private fail(message: string): never {
    throw new SyntaxError(`${message} at offset ${this.i}`);
  }

  private space(): void {
    while (this.i < this.text.length && " \t\n\r".includes(this.text[this.i]!)) this.i += 1;
  }

  private value(): Value {
    this.space();
    const c = this.text[this.i];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = this.i;
    const number = NUMBER.exec(this.text);
    if (!number) this.fail("expected a JSON value");
    this.i += number[0].length;
    return { n: number[0] };
  }

  private object(): Map<string, Value> {
    const map = new Map<string, Value>();
    this.i += 1;
    this.space();
    if (this.text[this.i] === "}") {
      this.i += 1;
      return map;
    }
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') this.fail("expected a key");
      const key = this.string();
      this.space();
      if (this.text[this.i] !== ":") this.fail("expected ':'");
      this.i += 1;
      // Later duplicates win, as in Go's decoder (and JSON.parse).
      map.delete(key);
      map.set(key, this.value());
      this.space();
      const c = this.text[this.i++];
      if (c === "}") return map;
      if (c !== ",") this.fail("expected ',' or '}'");
    }
  }

  private array(): Value[] {
    const items: Value[] = [];
    this.i += 1;
    this.space();
    if (this.text[this.i] === "]") {
      this.i += 1;
      return items;
    }
    for (;;) {
      items.push(this.value());
      this.space();
      const c = this.text[this.i++];
      if (c === "]") return items;
      if (c !== ",") this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    STRING.lastIndex = this.i;
    const match = STRING.exec(this.text);
    if (!match) this.fail("invalid string");
    this.i += match[0].length;
    return JSON.parse(match[0]) as string;
  }
}

const SHORT: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

/** A string as Go writes it; a lone surrogate (from a `\ud800` escape) decodes to U+FFFD in Go. */
function goString(value: string): string {
  const wellFormed = value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
  return `"${wellFormed.replace(GO_ESCAPED, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}

function write(value: Value): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return goString(value);
  if (Array.isArray(value)) return `[${value.map(write).join(",")}]`;
  if (value instanceof Map) {
    const keys = [...value.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((key) => `${goString(key)}:${write(value.get(key)!)}`).join(",")}}`;
  }
  return value.n;
}

/** The bytes OPA hashes for a JSON file (data.json, .manifest). Throws SyntaxError on invalid JSON. */
export function opaHashForm(text: string): string {
  return write(new Parser(text.replace(/^\ufeff/, "")).parse());
}
