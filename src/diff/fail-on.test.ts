import { describe, expect, it } from "vitest";
import { parseTransitionPatterns, patternMatches } from "./fail-on.js";

describe("parseTransitionPatterns", () => {
  it("accepts ->, →, wildcards, lower case and comma-separated lists", () => {
    expect(parseTransitionPatterns(["*->allow", "DENY → ALLOW,REQUIRE_APPROVAL->*"]).map((p) => [p.from, p.to])).toEqual([
      ["*", "ALLOW"],
      ["DENY", "ALLOW"],
      ["REQUIRE_APPROVAL", "*"],
    ]);
  });

  it("refuses unknown decisions and missing arrows as usage errors", () => {
    expect(() => parseTransitionPatterns(["DENY->ALOW"])).toThrow(/unknown decision "ALOW"/);
    expect(() => parseTransitionPatterns(["DENY"])).toThrow(/expected FROM->TO/);
    expect(() => parseTransitionPatterns(["A->B->C"])).toThrow(/expected FROM->TO/);
    const thrown = (() => {
      try {
        parseTransitionPatterns(["x->y"]);
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toMatchObject({ code: "usage" });
  });
});

describe("patternMatches", () => {
  const [anyToAllow, awcSame, anyToAny] = parseTransitionPatterns(["*->ALLOW", "ALLOW_WITH_CONSTRAINTS->ALLOW_WITH_CONSTRAINTS", "*->*"]);

  it("matches changes of kind with wildcards", () => {
    expect(patternMatches(anyToAllow!, "DENY", "ALLOW")).toBe(true);
    expect(patternMatches(anyToAllow!, "ALLOW", "DENY")).toBe(false);
    expect(patternMatches(anyToAny!, "ALLOW", "DENY")).toBe(true);
  });

  it("matches a same-kind change only when the kind is named on both sides", () => {
    expect(patternMatches(anyToAllow!, "ALLOW", "ALLOW")).toBe(false);
    expect(patternMatches(anyToAny!, "ALLOW", "ALLOW")).toBe(false);
    expect(patternMatches(awcSame!, "ALLOW_WITH_CONSTRAINTS", "ALLOW_WITH_CONSTRAINTS")).toBe(true);
  });
});
