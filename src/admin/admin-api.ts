/**
 * @module The one client of the gateway's admin API (approvals, bundle,
 * audit, quarantine), for the CLI and `mcpgov dryrun`. Errors name the
 * request, the HTTP status and the gateway's own reason and code, never the
 * token.
 */
import type { AuditRecord } from "../core/audit-record.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import type { QuarantineItem, QuarantineState } from "../quarantine/quarantine-store.js";
import type { ShownApproval } from "../report/approvals-report.js";

/** The admin API's answers for the quarantine, as the gateway sends them. */
export interface QuarantineList {
  items: QuarantineItem[];
}
export interface QuarantineShown {
  item: QuarantineItem;
  /** The withheld tool result; null once discarded. */
  result: unknown;
}
export interface QuarantineReviewed {
  item: QuarantineItem;
}

/** The gateway's reason on a refusal: `{error: "…", code?: "…"}`, `{error: {message}}`, or the first bytes of a page that is not ours. */
function refusalText(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: unknown; code?: unknown };
    const error = json.error;
    const message = typeof error === "string" ? error : typeof (error as { message?: unknown })?.message === "string" ? (error as { message: string }).message : undefined;
    if (message !== undefined) return `${message}${typeof json.code === "string" ? ` [${json.code}]` : ""}`;
  } catch {
    // Not JSON (a proxy's page): the first bytes say enough.
  }
  return text.slice(0, 200);
}

export class AdminApi {
  constructor(
    private readonly gateway: string,
    private readonly token: string,
  ) {}

  private async fetch(method: string, path: string, body?: string | Uint8Array, type = "application/json"): Promise<{ status: number; text: string }> {
    const url = new URL(path, this.gateway);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { "content-type": type } : {}) },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (cause) {
      // fetch's own message is "fetch failed"; the cause says why (ECONNREFUSED…).
      throw new McpgovError("io_error", `${method} ${url.pathname}: cannot reach the gateway at ${url.origin}: ${describeThrown((cause as Error).cause ?? cause)}`, { cause });
    }
    return { status: response.status, text: await response.text() };
  }

  private async send(method: string, path: string, body?: string | Uint8Array, type?: string): Promise<{ status: number; json: Record<string, unknown> }> {
    const { status, text } = await this.fetch(method, path, body, type);
    try {
      return { status, json: JSON.parse(text) as Record<string, unknown> };
    } catch {
      throw new McpgovError("io_error", `${method} ${path.split("?")[0]}: the gateway answered HTTP ${status} with a non-JSON body`);
    }
  }

  /** Any answer but 200 becomes an error naming the request, the status and the gateway's reason. */
  private async ok(method: string, path: string, body?: string | Uint8Array, type?: string): Promise<Record<string, unknown>> {
    const { status, text } = await this.fetch(method, path, body, type);
    if (status !== 200) throw new McpgovError("input_invalid", `${method} ${path.split("?")[0]}: the gateway answered HTTP ${status}: ${refusalText(text)}`);
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new McpgovError("io_error", `${method} ${path.split("?")[0]}: the gateway answered HTTP ${status} with a non-JSON body`);
    }
  }

  async list(query: string): Promise<ShownApproval[]> {
    return (await this.ok("GET", `/admin/approvals${query ? `?${query}` : ""}`))["approvals"] as ShownApproval[];
  }

  async get(id: string): Promise<ShownApproval & { arguments: Record<string, unknown> }> {
    return (await this.ok("GET", `/admin/approvals/${encodeURIComponent(id)}`))["approval"] as ShownApproval & { arguments: Record<string, unknown> };
  }

  async decide(id: string, verdict: "approve" | "deny", reason: string): Promise<ShownApproval> {
    return (await this.ok("POST", `/admin/approvals/${encodeURIComponent(id)}/${verdict}`, JSON.stringify({ reason })))["approval"] as ShownApproval;
  }

  /** The same, answering the status instead of throwing (for calls that must be refused). */
  async tryDecide(id: string, verdict: "approve" | "deny", reason: string): Promise<{ status: number }> {
    return { status: (await this.send("POST", `/admin/approvals/${encodeURIComponent(id)}/${verdict}`, JSON.stringify({ reason }))).status };
  }

  async activeBundle(): Promise<{ hash: string; revision: string }> {
    return (await this.ok("GET", "/admin/bundle"))["active"] as { hash: string; revision: string };
  }

  async uploadBundle(bytes: Buffer): Promise<{ hash: string; revision: string }> {
    return (await this.ok("POST", "/admin/bundle", new Uint8Array(bytes), "application/gzip"))["active"] as { hash: string; revision: string };
  }

  async records(query: string): Promise<AuditRecord[]> {
    return (await this.ok("GET", `/admin/audit/records?${query}`))["records"] as AuditRecord[];
  }

  async verify(): Promise<{ ok: boolean; count: number }> {
    const { json } = await this.send("GET", "/admin/audit/verify");
    return json as unknown as { ok: boolean; count: number };
  }

  async quarantineList(state: QuarantineState | "all", limit: number): Promise<QuarantineList> {
    return (await this.ok("GET", `/admin/quarantine?${new URLSearchParams({ state, limit: String(limit) }).toString()}`)) as unknown as QuarantineList;
  }

  /** The withheld content itself: the gateway audits the inspection. */
  async quarantineShow(id: string): Promise<QuarantineShown> {
    return (await this.ok("GET", `/admin/quarantine/${encodeURIComponent(id)}`)) as unknown as QuarantineShown;
  }

  async quarantineReview(id: string, action: "release" | "discard", reason: string): Promise<QuarantineReviewed> {
    return (await this.ok("POST", `/admin/quarantine/${encodeURIComponent(id)}/${action}`, JSON.stringify({ reason }))) as unknown as QuarantineReviewed;
  }
}
