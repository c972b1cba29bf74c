import { describe, expect, it } from "vitest";
import { findIllFormed, jsonHasLoneSurrogate, toWellFormed, wellFormedJson } from "./well-formed.js";

describe("toWellFormed", () => {
  it("replaces lone surrogates with U+FFFD and keeps pairs", () => {
    expect(toWellFormed("a\ud800b")).toBe("a\ufffdb");
    expect(toWellFormed("\udfff")).toBe("\ufffd");
    expect(toWellFormed("😀 fine")).toBe("😀 fine");
    expect(toWellFormed("\ud83d")).toBe("\ufffd");
  });
});

describe("wellFormedJson", () => {
  it("fixes keys and values at any depth, says whether it changed anything, and returns untouched input as is", () => {
    const input = { [`k\ud800`]: [`v\udc00`, { deep: "x\ud800" }], ok: 1 };
    const { value, changed } = wellFormedJson(input);
    expect(changed).toBe(true);
    expect(value).toEqual({ "k\ufffd": ["v\ufffd", { deep: "x\ufffd" }], ok: 1 });
    const clean = { a: ["😀"], b: null };
    expect(wellFormedJson(clean)).toEqual({ value: clean, changed: false });
    expect(wellFormedJson(clean).value).toBe(clean);
  });
});

describe("jsonHasLoneSurrogate", () => {
  it("finds the escapes JSON.stringify writes for lone surrogates, not escaped backslashes", () => {
    expect(jsonHasLoneSurrogate(JSON.stringify({ a: "x\ud800" }))).toBe(true);
    expect(jsonHasLoneSurrogate(JSON.stringify({ [`\udfff`]: 1 }))).toBe(true);
    expect(jsonHasLoneSurrogate(JSON.stringify({ a: "\\ud800" }))).toBe(false);
    expect(jsonHasLoneSurrogate(JSON.stringify({ a: "\\\ud800" }))).toBe(true);
    expect(jsonHasLoneSurrogate(JSON.stringify({ a: "😀" }))).toBe(false);
  });
});

describe("findIllFormed", () => {
  it("names the path of the first ill-formed value or key", () => {
    expect(findIllFormed({ a: ["ok", { b: "\uD800" }] })).toBe("$.a[1].b");
    expect(findIllFormed({ "k\uDC00": 1 }, "call.arguments")).toBe('call.arguments["k\uFFFD"]');
    expect(findIllFormed({ a: "😀" })).toBeUndefined();
    expect(findIllFormed("x\uDE00")).toBe("$");
  });
});
