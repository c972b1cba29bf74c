/** @module The one error type of mcpgov: a stable string code, a message, data and a cause. */

/**
 * Stable error codes. Entry points map these to exit codes (CLI) or to
 * JSON-RPC/HTTP errors (gateway) in one place each.
 */
export type ErrorCode =
  | "opa_not_found"
  | "opa_failed"
  | "policy_compile_error"
  | "bundle_invalid"
  | "bundle_tampered"
  | "bundle_unstamped"
  | "input_invalid"
  | "io_error"
  | "config_invalid"
  | "upstream_unavailable"
  | "upstream_error"
  | "output_scan_failed"
  | "usage"
  | "audit_unavailable";

export interface Diagnostic {
  file?: string;
  line?: number;
  column?: number;
  code?: string;
  message: string;
}

export class McpgovError extends Error {
  readonly code: ErrorCode;
  readonly data: { diagnostics?: Diagnostic[]; [k: string]: unknown };

  constructor(code: ErrorCode, message: string, options: { data?: McpgovError["data"]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "McpgovError";
    this.code = code;
    this.data = options.data ?? {};
  }
}

/** Narrows anything thrown (opa-wasm throws strings and plain objects) to a message. */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === "string") return thrown;
  if (thrown && typeof thrown === "object" && "message" in thrown && typeof thrown.message === "string") {
    return thrown.message;
  }
  try {
    return JSON.stringify(thrown) ?? String(thrown);
  } catch {
    return String(thrown);
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}` : ""}${d.column ? `:${d.column}` : ""}: ` : "";
  return `${where}${d.code ? `${d.code}: ` : ""}${d.message}`;
}
