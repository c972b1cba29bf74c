import { describe, expect, it } from "vitest";
import { AUDIT_ARGUMENTS_PREVIEW_CHARS, capArguments, MAX_AUDIT_ARGUMENTS_BYTES, TRUNCATED_KEY, utf8Length } from "./audit-arguments.js";

describe("utf8Length", () => {
  it("counts UTF-8 bytes", () => {
    expect(utf8Length("abc")).toBe(3);
    expect(utf8Length("é")).toBe(2);
    expect(utf8Length("€")).toBe(3);
    expect(utf8Length("😀")).toBe(4);
    expect(utf8Length("\ud800")).toBe(3);
  });
});

describe("capArguments", () => {
  it("keeps arguments up to the cap as they are", () => {
    const args = { body: "x".repeat(MAX_AUDIT_ARGUMENTS_BYTES - 20) };
    expect(JSON.stringify(args).length).toBeLessThanOrEqual(MAX_AUDIT_ARGUMENTS_BYTES);
    expect(capArguments(args)).toBe(args);
  });

  it("replaces larger ones with their size and a preview, counting bytes rather than characters", () => {
    const args = { body: "€".repeat(3000) };
    const capped = capArguments(args) as Record<string, { bytes: number; preview: string }>;
    expect(capped[TRUNCATED_KEY]!.bytes).toBe(utf8Length(JSON.stringify(args)));
    expect(capped[TRUNCATED_KEY]!.preview).toBe(JSON.stringify(args).slice(0, AUDIT_ARGUMENTS_PREVIEW_CHARS));
    expect(capArguments(args, 100_000)).toBe(args);
  });
});
