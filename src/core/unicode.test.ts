import { describe, expect, it } from "vitest";
import { findIllFormed, isWellFormedText, toWellFormedDeep, wellFormedText } from "./unicode.js";

describe("ill-formed Unicode", () => {
  it("tells lone surrogates from pairs", () => {
    expect(isWellFormedText("a😀b")).toBe(true);
    expect(isWellFormedText("a\uD83Db")).toBe(false);
    expect(isWellFormedText("\uDE00")).toBe(false);
    expect(wellFormedText("x\uD800y\uDFFF")).toBe("x\uFFFDy\uFFFD");
  });

  it("names the path of the first ill-formed value or key", () => {
    expect(findIllFormed({ a: ["ok", { b: "\uD800" }] })).toBe("$.a[1].b");
    expect(findIllFormed({ "k\uDC00": 1 }, "call.arguments")).toBe('call.arguments["k\uFFFD"]');
    expect(findIllFormed({ a: "😀" })).toBeUndefined();
  });

  it("escapes one way, in strings and keys, leaving well-formed input untouched", () => {
    const clean = { a: "b" };
    expect(toWellFormedDeep(clean)).toBe(clean);
    expect(toWellFormedDeep({ "k\uD800": ["\uDC00x"] })).toEqual({ "k\uFFFD": ["\uFFFDx"] });
    // The same as the platform's own escaping.
    const s = "a\uD800b";
    expect(wellFormedText(s)).toBe((s as unknown as { toWellFormed(): string }).toWellFormed());
  });
});
