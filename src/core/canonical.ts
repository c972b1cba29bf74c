/** @module Canonical JSON: the byte form that digests and the bundle hash are taken over. */

/**
 * Serialises a JSON value with object keys sorted by UTF-16 code unit and
 * no insignificant white space, so that two equal values always give the
 * same bytes. Non-JSON values (undefined, functions, non-finite numbers,
 * bigints) are rejected rather than silently dropped, because a digest over
 * a lossy form would bind an approval to something other than the call.
 */
export function canonicalJson(value: unknown): string {
  return write(value, "$");
}

function write(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${path}: non-finite number has no JSON form`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => write(item, `${path}[${i}]`)).join(",")}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const parts: string[] = [];
      for (const key of keys) {
        parts.push(`${JSON.stringify(key)}:${write(record[key], `${path}.${key}`)}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      throw new TypeError(`${path}: ${typeof value} has no JSON form`);
  }
}
