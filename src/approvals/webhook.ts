/**
 * @module Announces new approval requests with a JSON POST. The message
 * names the call but carries no arguments: those stay behind the console's
 * authentication.
 */
import type { ApprovalRequest } from "../core/approval.js";
import { describeThrown } from "../core/errors.js";
import type { ApprovalsConfig } from "../core/gateway-config.js";
import type { Logger } from "../logger.js";
import { resolveSecretMap } from "../config/secrets.js";

export function webhookMessage(request: ApprovalRequest, consoleUrl: string | undefined) {
  return {
    type: "mcpgov.approval.requested",
    approval_id: request.id,
    group: request.group,
    server: request.server,
    tool: request.tool,
    requester: request.subject.id,
    rules: request.rules,
    reason: request.reason,
    bundle_hash: request.bundle.hash,
    created_at: request.created_at,
    expires_at: request.expires_at,
    ...(consoleUrl ? { console_url: `${consoleUrl.replace(/\/$/, "")}/console/approvals/${encodeURIComponent(request.id)}` } : {}),
  };
}

/** Resolves the headers' secrets once, at start; the returned sender never throws. */
export async function approvalWebhook(config: ApprovalsConfig, env: Record<string, string | undefined>, logger: Logger): Promise<(request: ApprovalRequest) => void> {
  const webhook = config.webhook!;
  const headers = await resolveSecretMap(webhook.headers, "approvals.webhook.headers", env);
  return (request) => {
    void fetch(webhook.url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(webhookMessage(request, config.console_url)),
      signal: AbortSignal.timeout(webhook.timeout_ms),
    }).then(
      (response) => {
        if (!response.ok) logger.warn({ approval_id: request.id, status: response.status }, "approval webhook answered with an error");
        void response.body?.cancel();
      },
      (error: unknown) => logger.warn({ approval_id: request.id, error: describeThrown(error) }, "approval webhook failed"),
    );
  };
}
