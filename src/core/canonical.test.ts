import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical.js";

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops white space", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it("gives equal values the same bytes whatever the key order", () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
  });

  it("keeps array order, which is meaningful", () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it("escapes strings as JSON does", () => {
    expect(canonicalJson({ "k\n": 'q"\u2028' })).toBe(JSON.stringify({ "k\n": 'q"\u2028' }));
  });

  it("refuses values with no JSON form instead of dropping them", () => {
    expect(() => canonicalJson({ a: undefined })).toThrow("$.a: undefined has no JSON form");
    expect(() => canonicalJson({ a: [Number.NaN] })).toThrow("$.a[0]: non-finite number");
  });
});
