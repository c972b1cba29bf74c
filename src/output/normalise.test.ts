import { describe, expect, it } from "vitest";
import { normaliseForMatching, originalSpan } from "./normalise.js";

describe("normaliseForMatching", () => {
  it("leaves ASCII, accented lower-case text and upper-case letters as they are, without a map", () => {
    for (const text of ["plain ascii", "café — naïve", "Übersicht ÉTÉ"]) expect(normaliseForMatching(text)).toEqual({ text });
  });

  it("removes format characters and maps a match back over them", () => {
    const original = "ab\u200bc\u2060d\u{E0041}e";
    const n = normaliseForMatching(original);
    expect(n.text).toBe("abcde");
    expect(originalSpan(n, 1, 4)).toEqual([1, original.indexOf("d") + 1]);
    expect(originalSpan(n, 0, 5)).toEqual([0, original.length]);
  });

  it("folds compatibility forms (NFKC) and maps each folded unit to its whole original character", () => {
    const original = "x\ufb03y\uff41\u00a0z";
    const n = normaliseForMatching(original);
    expect(n.text).toBe("xffiya z");
    expect(originalSpan(n, 2, 3)).toEqual([1, 2]); // the second f of ﬃ: the whole ligature
    expect(originalSpan(n, 4, 8)).toEqual([2, original.length]); // y ａ NBSP z
  });

  it("keeps combining marks with their base character", () => {
    const n = normaliseForMatching("e\u0301\u200b!");
    expect(n.text).toBe("é!");
    expect(originalSpan(n, 0, 1)).toEqual([0, 2]);
    expect(originalSpan(n, 1, 2)).toEqual([3, 4]);
  });
});
