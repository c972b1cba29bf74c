/** Helpers for approval tests: the admin API as an approver calls it. */
import type { TestGateway } from "./gateway.js";

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface ApprovalSummary {
  id: string;
  state: string;
  group: string;
  server: string;
  tool: string;
  call_id: string;
  subject: { id: string };
  bundle: { hash: string };
  rules: string[];
  decided_by?: { id: string; via: string };
  decision_reason?: string;
  used_by_call?: string;
  arguments?: Record<string, unknown>;
}

export function approverApi(gw: TestGateway, key: string) {
  const call = async (path: string, init: RequestInit = {}): Promise<ApiAnswer> => {
    const response = await gw.fetch(`/admin/approvals${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return {
    call,
    async list(query = ""): Promise<ApprovalSummary[]> {
      const answer = await call(query ? `?${query}` : "");
      if (answer.status !== 200) throw new Error(`list: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body["approvals"] as ApprovalSummary[];
    },
    get: (id: string) => call(`/${encodeURIComponent(id)}`),
    approve: (id: string, reason = "") => call(`/${encodeURIComponent(id)}/approve`, { method: "POST", body: JSON.stringify({ reason }) }),
    deny: (id: string, reason = "") => call(`/${encodeURIComponent(id)}/deny`, { method: "POST", body: JSON.stringify({ reason }) }),
  };
}

/** Polls until a pending request for the tool shows up (the call creating it runs concurrently). */
export async function pendingFor(api: ReturnType<typeof approverApi>, tool: string, timeoutMs = 15_000): Promise<ApprovalSummary> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await api.list("state=pending")).find((r) => r.tool === tool);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no pending approval request for ${tool} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
