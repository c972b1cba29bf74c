import { describe, expect, it } from "vitest";
import { constrainRoots } from "./roots.js";

describe("constrainRoots", () => {
  it("keeps requested roots inside the operator's and refuses the rest", () => {
    const result = constrainRoots(["/srv/sandbox"], [
      "/srv/sandbox",
      "file:///srv/sandbox/project",
      "/srv/sandbox/../secrets",
      "/srv/sandbox-other",
      "/etc",
      "relative/path",
      "file://evil.example.com/srv/sandbox",
    ]);
    expect(result.allowed).toEqual(["/srv/sandbox", "/srv/sandbox/project"]);
    expect(result.refused).toEqual(["/srv/sandbox/../secrets", "/srv/sandbox-other", "/etc", "relative/path", "file://evil.example.com/srv/sandbox"]);
  });

  it("allows nothing when the operator configured no roots", () => {
    expect(constrainRoots([], ["/"])).toEqual({ allowed: [], refused: ["/"] });
  });
});
