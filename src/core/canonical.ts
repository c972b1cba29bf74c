/** @module Canonical JSON: the byte form that digests and the bundle hash are taken over. */

/**
 * Serialises a JSON value with object keys sorted by UTF-16 code unit and
 * no insignificant white space, so that two equal values always give the
 * same bytes. Non-JSON values (undefined, functions, non-finite numbers,
 * bigints) are rejected rather than silently dropped, because a digest over
 * a lossy form would bind an approval to something other than the call.
 */
export function canonicalJson(value: unknown): string {
  try {
    return write(value);
  } catch (thrown) {
    if (thrown instanceof NoJsonForm) throw new TypeError(`$${thrown.path.reverse().join("")}: ${thrown.what} has no JSON form`, { cause: thrown });
    throw thrown;
  }
}

/**
 * Thrown from deep inside; each level adds its step on the way out. The
 * path is only built for the error: building it for every value was a
 * good part of hashing an envelope, and three digests are taken per call.
 */
class NoJsonForm extends Error {
  readonly path: string[] = [];

  constructor(readonly what: string) {
    super(what);
  }
}

function step(thrown: unknown, segment: string): unknown {
  if (thrown instanceof NoJsonForm) thrown.path.push(segment);
  return thrown;
}

function write(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new NoJsonForm("non-finite number");
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          try {
            out += write(value[i]);
          } catch (thrown) {
            throw step(thrown, `[${i}]`);
          }
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = "{";
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (i > 0) out += ",";
        try {
          out += `${JSON.stringify(key)}:${write(record[key])}`;
        } catch (thrown) {
          throw step(thrown, `.${key}`);
        }
      }
      return `${out}}`;
    }
    default:
      throw new NoJsonForm(typeof value);
  }
}
