/**
 * @module W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/):
 * parsed strictly, because it comes from clients and is untrusted. A value
 * that does not parse is ignored (the request starts a new trace); it never
 * reaches the envelope, so it cannot change a decision.
 */

export interface TraceParent {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string;
  /** 16 lower-case hex digits, not all zero. */
  spanId: string;
  /** The trace-flags byte (bit 0: sampled). */
  flags: number;
}

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
// A later version may append fields after the four it shares with 00 ("-…"); version ff is invalid.
const LATER_VERSION = /^(?!ff)([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);
/** Longer than any sane header: not even looked at. */
const MAX_LENGTH = 512;

/** The traceparent's fields, or undefined when it is absent or not a valid traceparent. */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== "string" || value.length > MAX_LENGTH) return undefined;
  const text = value.trim();
  let traceId: string, spanId: string, flags: string;
  const v00 = VERSION_00.exec(text);
  if (v00) [, traceId, spanId, flags] = v00 as unknown as [string, string, string, string];
  else {
    const later = LATER_VERSION.exec(text);
    if (!later || later[1] === "00") return undefined;
    [, , traceId, spanId, flags] = later as unknown as [string, string, string, string, string];
  }
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

export function formatTraceparent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${(parent.flags & 0xff).toString(16).padStart(2, "0")}`;
}
