/**
 * @module `mcpgov approvals list|show|approve|deny`: the approvers' CLI.
 *
 * Against a running gateway (`--gateway URL`, token from an environment
 * variable so it never shows in a process list), or, with `--data-dir`,
 * directly on the gateway's state store for when no gateway is running:
 * whoever can write that folder is an operator, so the role check gives way
 * to a named `--approver`, but the requester still cannot approve their own
 * request and a denial still needs a reason.
 */
import type { Argv } from "yargs";
import { ApprovalService } from "../../src/approvals/approval-service.js";
import { SqliteApprovalStore } from "../../src/approvals/sqlite-approval-store.js";
import { SqliteAuditStore } from "../../src/audit/sqlite-audit-store.js";
import { ApprovalStateSchema, type ApprovalState } from "../../src/core/approval.js";
import { McpgovError } from "../../src/core/errors.js";
import { ApprovalsConfigSchema } from "../../src/core/gateway-config.js";
import { silentLogger } from "../../src/logger.js";
import { formatApproval, formatApprovalList, type ApprovalsFormat, type ShownApproval } from "../../src/report/approvals-report.js";
import type { AdminApi } from "../../src/admin/admin-api.js";
import { adminApi } from "../admin-client.js";
import type { CliIo, ExitCode } from "../io.js";

const ACTIONS = ["list", "show", "approve", "deny"] as const;

interface ApprovalsArgs {
  action: (typeof ACTIONS)[number];
  id?: string;
  reason?: string;
  state?: ApprovalState;
  group?: string;
  gateway?: string;
  tokenEnv: string;
  dataDir?: string;
  approver?: string;
  format: ApprovalsFormat;
}

/** The four actions, whichever way they reach the store. */
interface Approvals {
  list(state: ApprovalState | undefined, group: string | undefined): Promise<ShownApproval[]>;
  show(id: string): Promise<ShownApproval>;
  decide(id: string, verdict: "approved" | "denied", reason: string): Promise<ShownApproval>;
  close(): Promise<void>;
}

function overApi(api: AdminApi): Approvals {
  return {
    list: (state, group) => api.list(new URLSearchParams({ ...(state ? { state } : {}), ...(group ? { group } : {}) }).toString()),
    show: (id) => api.get(id),
    decide: (id, verdict, reason) => api.decide(id, verdict === "approved" ? "approve" : "deny", reason),
    close: async () => undefined,
  };
}

async function overStore(dataDir: string, approver: string | undefined): Promise<Approvals> {
  const store = SqliteApprovalStore.open(dataDir, { create: false });
  const audit = await SqliteAuditStore.open(dataDir, { create: false });
  const service = new ApprovalService({
    store,
    audit,
    config: ApprovalsConfigSchema.parse({}),
    activeBundle: () => {
      throw new McpgovError("usage", "no active bundle without a gateway");
    },
    clock: () => new Date(),
    logger: silentLogger,
  });
  const strip = ({ envelope: _e, ...rest }: Awaited<ReturnType<typeof store.get>> & object): ShownApproval => rest;
  return {
    list: async (state, group) => (await store.list({ ...(state ? { state } : {}), ...(group ? { group } : {}) })).map(({ arguments: _a, envelope: _e, ...r }) => r),
    async show(id) {
      const request = await store.get(id);
      if (!request) throw new McpgovError("input_invalid", `no approval request ${id} in ${dataDir}`);
      return strip(request);
    },
    async decide(id, verdict, reason) {
      if (!approver) throw new McpgovError("usage", "--data-dir needs --approver ID: the store records who decided");
      const result = await service.decide(id, { id: approver, roles: ["mcpgov-admin"] }, "local-store", verdict, reason);
      if (!result.ok) throw new McpgovError("input_invalid", `${result.status} ${result.message}`);
      return strip(result.request);
    },
    async close() {
      await service.close();
      await audit.close();
    },
  };
}

export function approvalsCommand(io: CliIo) {
  return {
    command: "approvals <action> [id]",
    describe: "list, show, approve or deny approval requests (against a running gateway, or --data-dir when none runs)",
    builder: (y: Argv) =>
      y
        .positional("action", { choices: ACTIONS, describe: "list | show ID | approve ID | deny ID --reason …" })
        .positional("id", { type: "string", describe: "approval request id (apr-…)" })
        .option("reason", { type: "string", describe: "why (required to deny; recorded with the approver's identity)" })
        .option("state", { choices: ApprovalStateSchema.options, describe: "list: only requests in this state" })
        .option("group", { type: "string", describe: "list: only this approver group's queue" })
        .option("gateway", { type: "string", describe: "gateway base URL [default: $MCPGOV_GATEWAY or http://127.0.0.1:8787]" })
        .option("token-env", { type: "string", default: "MCPGOV_TOKEN", describe: "environment variable holding your admin token" })
        .option("data-dir", { type: "string", describe: "act on the gateway's data folder directly (no gateway running)" })
        .option("approver", { type: "string", describe: "with --data-dir: your identity, recorded with the decision" })
        .option("format", { choices: ["pretty", "json"] as const, default: "pretty" as const })
        .example("$0 approvals list --state pending", "the queue")
        .example("$0 approvals approve apr-… --reason 'change CHG-1234'", "approve one request")
        .example("$0 approvals deny apr-… --reason 'not in a change window'", "deny, with the reason the requester will see"),
    handler: async (argv: ApprovalsArgs): Promise<ExitCode> => {
      if (argv.action !== "list" && !argv.id) throw new McpgovError("usage", `approvals ${argv.action} needs an approval id`);
      if (argv.action === "deny" && !argv.reason?.trim()) throw new McpgovError("usage", "approvals deny needs --reason: the requester is told why");
      if (argv.dataDir && argv.gateway) throw new McpgovError("usage", "give --gateway or --data-dir, not both");
      const approvals = argv.dataDir
        ? await overStore(argv.dataDir, argv.approver)
        : overApi(adminApi({ gateway: argv.gateway, tokenEnv: argv.tokenEnv, env: io.env, holder: "an approver" }));
      try {
        switch (argv.action) {
          case "list":
            io.out(formatApprovalList(await approvals.list(argv.state, argv.group), argv.format));
            return 0;
          case "show":
            io.out(formatApproval(await approvals.show(argv.id!), argv.format));
            return 0;
          case "approve":
          case "deny": {
            const decided = await approvals.decide(argv.id!, argv.action === "approve" ? "approved" : "denied", argv.reason ?? "");
            io.out(formatApproval(decided, argv.format));
            return 0;
          }
        }
      } finally {
        await approvals.close();
      }
    },
  };
}
