import { describe, expect, it } from "vitest";
import { formatTraceparent, parseTraceparent } from "./traceparent.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

describe("parseTraceparent", () => {
  it("reads a version-00 traceparent and writes it back unchanged", () => {
    const parsed = parseTraceparent(`00-${TRACE}-${SPAN}-01`);
    expect(parsed).toEqual({ traceId: TRACE, spanId: SPAN, flags: 1 });
    expect(formatTraceparent(parsed!)).toBe(`00-${TRACE}-${SPAN}-01`);
  });

  it("reads the shared fields of a later version and ignores what it appends", () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-00-future`)).toEqual({ traceId: TRACE, spanId: SPAN, flags: 0 });
  });

  it.each([
    ["absent", undefined],
    ["not text", 42],
    ["upper-case hex", `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ["all-zero trace id", `00-${"0".repeat(32)}-${SPAN}-01`],
    ["all-zero span id", `00-${TRACE}-${"0".repeat(16)}-01`],
    ["version ff", `ff-${TRACE}-${SPAN}-01`],
    ["version 00 with extra fields", `00-${TRACE}-${SPAN}-01-x`],
    ["short trace id", `00-${TRACE.slice(1)}-${SPAN}-01`],
    ["huge", `00-${TRACE}-${SPAN}-01${" ".repeat(600)}`],
    ["injection", `00-${TRACE}-${SPAN}-01\r\nx-evil: 1`],
  ])("refuses %s", (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});
