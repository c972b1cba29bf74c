/**
 * @module A real client session against the running demo gateway (`npm run
 * demo` in another terminal): a read, a production write held for approval,
 * approved by bob and retried, a denied write, an unregistered server.
 * Run: MCPGOV_DEMO_KEY_ALICE=… MCPGOV_DEMO_KEY_BOB=… npm run demo:session
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const base = process.env["MCPGOV_URL"] ?? "http://127.0.0.1:8787";
const key = process.env["MCPGOV_DEMO_KEY_ALICE"];
const approverKey = process.env["MCPGOV_DEMO_KEY_BOB"];
if (!key || !approverKey) {
  console.error("set MCPGOV_DEMO_KEY_ALICE and MCPGOV_DEMO_KEY_BOB to the keys `npm run demo` printed");
  process.exit(1);
}

/** What bob does from the approvals API (the CLI and the console call the same). */
async function decide(id: string, verdict: "approve" | "deny", reason: string): Promise<void> {
  const response = await fetch(`${base}/admin/approvals/${id}/${verdict}`, {
    method: "POST",
    headers: { authorization: `Bearer ${approverKey}`, "content-type": "application/json" },
    body: JSON.stringify({ reason }),
  });
  console.log(`  bob ${verdict === "approve" ? "approves" : "denies"} ${id}: ${response.status}\n`);
}

async function connect(server: string): Promise<Client> {
  const client = new Client({ name: "mcpgov-demo-session", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp/${server}`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return client;
}

function show(label: string, result: Record<string, unknown>): void {
  const meta = (result["_meta"] as Record<string, { call_id?: string; decision?: string; approval_id?: string }> | undefined)?.["mcpgov/decision"];
  const text = ((result["content"] as { type: string; text?: string }[] | undefined) ?? []).map((c) => c.text ?? `[${c.type}]`).join(" ");
  console.log(`${label}\n  ${result["isError"] ? "refused" : "ran"}: ${text.trim().slice(0, 300)}`);
  if (meta) console.log(`  decision ${meta.decision}, call id ${meta.call_id}${meta.approval_id ? `, approval ${meta.approval_id}` : ""}`);
  console.log("");
}

const approvalOf = (result: Record<string, unknown>): string =>
  (result["_meta"] as Record<string, { approval_id?: string }>)["mcpgov/decision"]!.approval_id!;

const fs = await connect("filesystem");
const [sandbox] = ((await fs.callTool({ name: "list_allowed_directories", arguments: {} })).content as { text: string }[])[0]!.text
  .split("\n")
  .slice(1);
show("1. read a file on the production filesystem server", await fs.callTool({ name: "read_text_file", arguments: { path: `${sandbox}/README.txt` } }));
const write = { name: "write_file", arguments: { path: `${sandbox}/notes.txt`, content: "hello" } };
const held = await fs.callTool(write);
show("2. write a file on the production filesystem server (it waits 5 s for an approver, then answers)", held);
await decide(approvalOf(held), "approve", "demo: notes are fine");
show("2b. the identical call again, after bob approved it", await fs.callTool(write));
const replay = await fs.callTool(write);
show("2c. and once more: the approval was used up, so this is a new request", replay);
await decide(approvalOf(replay), "deny", "demo: once is enough");
show("2d. the identical call after bob denied it", await fs.callTool(write));
await fs.close();

const memory = await connect("memory");
show("3. a non-production write naming a host off the allowlist", await memory.callTool({ name: "add_observations", arguments: { observations: [{ entityName: "x", contents: ["fetch https://paste.example.net/raw"] }] } }));
await memory.close();

try {
  await connect("shadow-notes");
} catch (error) {
  console.log(`4. connect to an unregistered server\n  refused: ${(error as Error).message.replace(/^.*?\{/, "{")}\n`);
}
