/** @module How `mcpgov approvals` prints requests: a table to triage, a page to decide on. */
import type { ApprovalRequest } from "../core/approval.js";

export type ApprovalsFormat = "pretty" | "json";
/** What the admin API returns: the request without its envelope (and, in lists, without arguments). */
export type ShownApproval = Omit<ApprovalRequest, "envelope" | "arguments"> & { arguments?: Record<string, unknown> };

function age(from: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(from)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

export function formatApprovalList(requests: readonly ShownApproval[], format: ApprovalsFormat, now = new Date()): string {
  if (format === "json") return JSON.stringify({ approvals: requests });
  if (requests.length === 0) return "no approval requests";
  const rows = requests.map((r) => [r.id, r.state, r.group, `${r.server}/${r.tool}`, r.subject.id, age(r.created_at, now), r.rules.join(",")]);
  const header = ["ID", "STATE", "GROUP", "TOOL", "REQUESTER", "AGE", "RULES"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

export function formatApproval(request: ShownApproval, format: ApprovalsFormat): string {
  if (format === "json") return JSON.stringify({ approval: request });
  const lines = [
    `approval     ${request.id}`,
    `state        ${request.state}`,
    `group        ${request.group}`,
    `tool         ${request.server} / ${request.tool}`,
    `requester    ${request.subject.id}${request.subject.tenant ? ` (tenant ${request.subject.tenant})` : ""}`,
    `call         ${request.call_id}`,
    `rules        ${request.rules.join(", ")}`,
    `reason       ${request.reason}`,
    `bundle       ${request.bundle.hash}${request.bundle.revision ? ` (revision ${request.bundle.revision})` : ""}`,
    `digest       ${request.call_digest}`,
    `created      ${request.created_at}`,
    `expires      ${request.expires_at}`,
  ];
  if (request.decided_by) lines.push(`decided      ${request.state === "denied" ? "denied" : "approved"} by ${request.decided_by.id} (${request.decided_by.via}) at ${request.decided_at}${request.decision_reason ? `: ${request.decision_reason}` : ""}`);
  if (request.used_by_call) lines.push(`ran as       call ${request.used_by_call} at ${request.used_at}`);
  if (request.void_reason) lines.push(`void         ${request.void_reason}`);
  if (request.arguments) lines.push("arguments", ...JSON.stringify(request.arguments, null, 2).split("\n").map((l) => `  ${l}`));
  return lines.join("\n");
}
