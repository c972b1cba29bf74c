/**
 * `mcpgov quarantine` against a real running gateway: a private key read
 * from server-filesystem is withheld, and a reviewer lists, shows,
 * releases and discards through the CLI. The token comes from the
 * environment and never appears in any output.
 */
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "./helpers/cli.js";
import { expectExample } from "./helpers/readme.js";
import {
  disposeGateway,
  filesystemServer,
  KEYS,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  type ToolResult,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

const PRIVATE_KEY = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const KEY_LINE = PRIVATE_KEY.split("\n")[1]!;
const RITA = "rita-cli-reviewer-key-3c4d5e6f7a";
const RITA_ENV = { MCPGOV_E2E_KEY_RITA: RITA };

let ws: Workspace;
let gw: TestGateway;
let filesystem: Client;
const outputs: CliResult[] = [];

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, {
    servers: [filesystemServer(ws)],
    env: RITA_ENV,
    keys: [{ id: "rita", key_env: "MCPGOV_E2E_KEY_RITA", subject: "rita", tenant: "acme", roles: ["mcpgov-reviewer"] }],
  });
  gw = await startTestGateway(ws, { env: RITA_ENV });
  filesystem = await gw.connect("filesystem");
});

afterAll(() => disposeGateway(gw, ws));

afterEach(() => {
  // No run may print a token, whatever it was asked to do.
  for (const out of outputs.splice(0)) {
    for (const token of [RITA, KEYS.alice]) expect(out.stdout + out.stderr).not.toContain(token);
  }
});

async function cli(args: string[], env: Record<string, string> = { MCPGOV_TOKEN: RITA }): Promise<CliResult> {
  const result = await runCli(["quarantine", ...args, ...(args.includes("--gateway") ? [] : ["--gateway", gw.url])], { env });
  outputs.push(result);
  return result;
}

async function withhold(name: string): Promise<string> {
  writeFileSync(join(ws.sandbox, name), PRIVATE_KEY);
  const result = (await filesystem.callTool({ name: "read_text_file", arguments: { path: join(ws.sandbox, name) } })) as ToolResult;
  const id = (result._meta?.["mcpgov/output"] as { quarantine_id?: string } | undefined)?.quarantine_id;
  if (!id) throw new Error(`not quarantined: ${JSON.stringify(result)}`);
  return id;
}

describe("mcpgov quarantine", () => {
  // First, while the store holds nothing else: the README shows one row.
  it("prints the README's walkthrough: list, release, release again", async () => {
    const id = await withhold("readme.pem");
    const list = await cli(["list"]);
    const release = await cli(["release", id, "--reason", "test fixture key, never deployed"]);
    const again = await cli(["release", id, "--reason", "again"]);
    expectExample(
      "quarantine-review",
      [
        "$ mcpgov quarantine list",
        list.stdout.trimEnd(),
        `$ mcpgov quarantine release ${id} --reason "test fixture key, never deployed"`,
        release.stdout.trimEnd(),
        `$ mcpgov quarantine release ${id} --reason again`,
        again.stderr.trimEnd(),
      ].join("\n"),
    );
  });

  it("lists held outputs as a table and as JSON, without their content", async () => {
    const id = await withhold("list.pem");
    const pretty = await cli(["list"]);
    expect(pretty.code).toBe(0);
    const row = pretty.stdout.split("\n").find((line) => line.startsWith(id));
    expect(row).toMatch(/held\s+\S+\s+alice@acme\s+filesystem\/read_text_file\s+quarantine-credentials\s+private_key×2\s+\d+ B/);
    expect(pretty.stdout.split("\n")[0]).toMatch(/^ID\s+STATE\s+TIME\s+SUBJECT\s+TOOL\s+RULES\s+FINDINGS\s+SIZE$/);
    expect(pretty.stdout).not.toContain(KEY_LINE);
    const json = await cli(["list", "--format", "json", "--state", "all"]);
    expect((JSON.parse(json.stdout) as { items: Array<{ id: string; state: string }> }).items).toContainEqual(expect.objectContaining({ id, state: "held" }));
  });

  it("shows the withheld content to a reviewer", async () => {
    const id = await withhold("show.pem");
    const pretty = await cli(["show", id]);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toContain(`quarantine ${id}: held`);
    expect(pretty.stdout).toContain("subject    alice@acme");
    expect(pretty.stdout).toContain(`--- [0] text ---\n${PRIVATE_KEY.trimEnd()}`);
    const json = JSON.parse((await cli(["show", id, "--format", "json"])).stdout) as { result: { content: Array<{ text: string }> } };
    expect(json.result.content[0]!.text).toBe(PRIVATE_KEY);
  });

  it("releases with a reason, and says plainly when the item was already decided", async () => {
    const id = await withhold("release.pem");
    const missing = await cli(["release", id]);
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toContain("needs --reason");

    const released = await cli(["release", id, "--reason", "test fixture, never deployed"]);
    expect(released.code).toBe(0);
    expect(released.stdout).toContain(`quarantine ${id}: released`);
    expect(released.stdout).toMatch(/reviewed {3}released by rita at \S+: test fixture, never deployed/);
    expect((await gw.gateway.ctx.quarantine.get(id))?.state).toBe("released");

    const again = await cli(["release", id, "--reason", "once more"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/HTTP 409: .*already released by rita.*\[wrong_state\]/);
  });

  it("discards with a reason; the content is gone", async () => {
    const id = await withhold("discard.pem");
    const discarded = await cli(["discard", id, "--reason", "live key, owner rotates", "--format", "json"]);
    expect(discarded.code).toBe(0);
    expect(JSON.parse(discarded.stdout)).toMatchObject({ item: { id, state: "discarded", content_kept: false } });
    const shown = await cli(["show", id]);
    expect(shown.stdout).toContain("content: deleted (discarded)");
    expect(shown.stdout).not.toContain(KEY_LINE);
  });

  it("names what is wrong: no token, a token without the role, an unknown id, an unreachable gateway", async () => {
    const noToken = await cli(["list"], {});
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain("set MCPGOV_TOKEN");

    const otherVar = await cli(["list", "--token-env", "REVIEWER_TOKEN"], { REVIEWER_TOKEN: RITA });
    expect(otherVar.code).toBe(0);

    const developer = await cli(["list"], { MCPGOV_TOKEN: KEYS.alice });
    expect(developer.code).toBe(1);
    expect(developer.stderr).toMatch(/HTTP 403: the mcpgov-reviewer or mcpgov-admin role is required \[forbidden\]/);

    const unknown = await cli(["show", "q-00000000-0000-0000-0000-000000000000"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/HTTP 404: no quarantined output .*\[not_found\]/);

    const down = await cli(["list", "--gateway", "http://127.0.0.1:1"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("cannot reach the gateway at http://127.0.0.1:1");

    const noId = await cli(["show"]);
    expect(noId.stderr).toContain("needs a quarantine ID");
  });
});
