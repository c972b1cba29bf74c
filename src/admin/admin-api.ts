/**
 * @module A client of the gateway's admin API, for the CLI and `mcpgov
 * dryrun`. Errors carry the gateway's own error text and never the token.
 */
import type { AuditRecord } from "../core/audit-record.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import type { ShownApproval } from "../report/approvals-report.js";

export class AdminApi {
  constructor(
    private readonly gateway: string,
    private readonly token: string,
  ) {}

  private async send(method: string, path: string, body?: string | Uint8Array, type = "application/json"): Promise<{ status: number; json: Record<string, unknown> }> {
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
      throw new McpgovError("io_error", `cannot reach the gateway at ${url.origin}: ${describeThrown(cause)}`, { cause });
    }
    const text = await response.text();
    try {
      return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
    } catch {
      throw new McpgovError("io_error", `${method} ${url.pathname}: the gateway answered ${response.status} with a non-JSON body`);
    }
  }

  private async ok(method: string, path: string, body?: string | Uint8Array, type?: string): Promise<Record<string, unknown>> {
    const { status, json } = await this.send(method, path, body, type);
    if (status !== 200) {
      const error = json["error"];
      const message = typeof error === "string" ? error : typeof (error as { message?: unknown })?.message === "string" ? (error as { message: string }).message : JSON.stringify(json).slice(0, 200);
      throw new McpgovError("input_invalid", `${method} ${path.split("?")[0]}: ${status} ${message}`);
    }
    return json;
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
}
