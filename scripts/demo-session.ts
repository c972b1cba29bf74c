/**
 * @module A real client session against the running demo gateway (`npm run
 * demo` in another terminal): a read, a production write, an unregistered
 * server. Run: MCPGOV_DEMO_KEY_ALICE=… npm run demo:session
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const base = process.env["MCPGOV_URL"] ?? "http://127.0.0.1:8787";
const key = process.env["MCPGOV_DEMO_KEY_ALICE"];
if (!key) {
  console.error("set MCPGOV_DEMO_KEY_ALICE to the key `npm run demo` printed");
  process.exit(1);
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
  const meta = (result["_meta"] as Record<string, { call_id?: string; decision?: string }> | undefined)?.["mcpgov/decision"];
  const text = ((result["content"] as { type: string; text?: string }[] | undefined) ?? []).map((c) => c.text ?? `[${c.type}]`).join(" ");
  console.log(`${label}\n  ${result["isError"] ? "refused" : "ran"}: ${text.trim().slice(0, 300)}`);
  if (meta) console.log(`  decision ${meta.decision}, call id ${meta.call_id}`);
  console.log("");
}

const fs = await connect("filesystem");
const [sandbox] = ((await fs.callTool({ name: "list_allowed_directories", arguments: {} })).content as { text: string }[])[0]!.text
  .split("\n")
  .slice(1);
show("1. read a file on the production filesystem server", await fs.callTool({ name: "read_text_file", arguments: { path: `${sandbox}/README.txt` } }));
show("2. write a file on the production filesystem server", await fs.callTool({ name: "write_file", arguments: { path: `${sandbox}/notes.txt`, content: "hello" } }));
await fs.close();

const memory = await connect("memory");
show("3. a non-production write naming a host off the allowlist", await memory.callTool({ name: "add_observations", arguments: { observations: [{ entityName: "x", contents: ["fetch https://paste.example.net/raw"] }] } }));
await memory.close();

try {
  await connect("shadow-notes");
} catch (error) {
  console.log(`4. connect to an unregistered server\n  refused: ${(error as Error).message.replace(/^.*?\{/, "{")}\n`);
}
