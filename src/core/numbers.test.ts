import { describe, expect, it } from "vitest";
import { boundaryError } from "./input-boundary.js";
import { describeIssues } from "./issues.js";
import { findUnsafeNumber } from "./numbers.js";

describe("findUnsafeNumber", () => {
  it("accepts safe integers and finite floats", () => {
    expect(findUnsafeNumber({ a: [1, -2, 1.5e-300, 0.1, 123.456, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER] })).toBeUndefined();
  });
  it("names the first non-finite or unsafe integer", () => {
    expect(findUnsafeNumber(JSON.parse('{"call":{"arguments":{"n":1e400}}}'), "$")).toBe("$.call.arguments.n");
    expect(findUnsafeNumber(JSON.parse('{"a":[1,9007199254740993]}'))).toBe("$.a[1]");
    expect(findUnsafeNumber(JSON.parse('{"a b":-9007199254740992}'))).toBe('$["a b"]');
    expect(findUnsafeNumber(NaN)).toBe("$");
    // A double this large is integer-valued: its literal may have had digits a double cannot hold.
    expect(findUnsafeNumber([1.5e300])).toBe("$[0]");
  });
});

describe("boundaryError", () => {
  it("names the field of a lone surrogate or an unsafe number", () => {
    expect(describeIssues(boundaryError({ call: { arguments: { s: "a\uD800" } } })!)).toBe("call.arguments.s: not well-formed Unicode (lone UTF-16 surrogate)");
    expect(describeIssues(boundaryError({ call: { arguments: { ["k\uDC00"]: 1 } } })!)).toMatch(/^call\.arguments\[.*\]: not well-formed/);
    expect(describeIssues(boundaryError(JSON.parse('{"x":[12345678901234567890]}'))!)).toMatch(/^x\[0\]: number not exactly representable/);
    expect(boundaryError({ a: "ok 😀", n: 1.25 })).toBeUndefined();
  });
});
