import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { RUG_PULL_SERVER, rugPullStdio } from "./helpers/rug-pull.js";

/** A config registering the rug-pull server, in the rug's temporary folder. */
function setup() {
  const rug = rugPullStdio();
  const config = join(rug.dir, "mcpgov.yaml");
  writeFileSync(
    config,
    `bundle: bundle.tar.gz
auth: { mode: none }
servers:
  - id: rug
    risk_tags: [non_prod]
    transport:
      type: stdio
      command: ${JSON.stringify(process.execPath)}
      args: [${JSON.stringify(RUG_PULL_SERVER)}]
      env: { RUG_PULL_STATE: { path: state.json } }
    tools: { echo: read }
  - id: broken
    transport: { type: stdio, command: ${JSON.stringify(process.execPath)}, args: [-e, "console.error('no such directory'); process.exit(1)"] }
`,
  );
  return { ...rug, config, lock: join(rug.dir, "mcpgov.lock.json") };
}

describe("mcpgov registry", () => {
  it("pins, checks clean, then reports drift with exit 2", async () => {
    const { config, lock, setState } = setup();
    const pin = await runCli(["registry", "pin", "rug", "--config", config]);
    expect(pin.stderr).toContain("auth.mode is none");
    expect(pin.code).toBe(0);
    expect(pin.stdout).toMatch(/^rug \(rug-pull-server 1\.0\.0\): 4 tools pinned$/m);
    expect(pin.stdout).toMatch(/^ {2}new {7}echo {6}sha256:[0-9a-f]{64}$/m);
    expect(JSON.parse(readFileSync(lock, "utf8")).servers.rug.tools.echo).toMatch(/^sha256:/);

    expect(await runCli(["registry", "check", "rug", "--config", config])).toMatchObject({ code: 0, stdout: "rug: ok, 4 tools match their pins\n" });

    setState({ description: "changed", extraTool: true });
    const drift = await runCli(["registry", "check", "rug", "--config", config]);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain("rug: DRIFT, 1 changed, 1 unpinned; 3 tools allowed");
    expect(drift.stdout).toMatch(/changed +echo +pinned sha256:[0-9a-f]{64}, now sha256:[0-9a-f]{64} \(hidden from clients\)/);
    expect(drift.stdout).toMatch(/unpinned +exfiltrate/);

    const json = await runCli(["registry", "check", "rug", "--config", config, "--format", "json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ drift: true, servers: [{ id: "rug", violations: [{ kind: "changed" }, { kind: "unpinned" }] }] });

    const repin = await runCli(["registry", "pin", "rug", "--config", config]);
    expect(repin.stdout).toMatch(/changed +echo/);
    expect(repin.stdout).toMatch(/new +exfiltrate/);
    expect((await runCli(["registry", "check", "rug", "--config", config])).code).toBe(0);
  });

  it("lists the registry with pin status", async () => {
    const { config } = setup();
    await runCli(["registry", "pin", "rug", "--config", config]);
    const list = await runCli(["registry", "list", "--config", config]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^rug \[non_prod\] {2}stdio; 4 tools pinned \d{4}-/m);
    expect(list.stdout).toContain("tools: echo=read");
    expect(list.stdout).toMatch(/^broken {2}stdio; not pinned$/m);
  });

  it("fails cleanly, showing the server's stderr, when a server does not start, and writes no lock", async () => {
    const { config, lock } = setup();
    const result = await runCli(["registry", "pin", "--all", "--config", config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/mcpgov: server 'broken': cannot connect/);
    expect(result.stderr).toContain("[broken] no such directory");
    expect(existsSync(lock)).toBe(false);
  });

  it("asks for a server or --all, and names the registered ones for an unknown id", async () => {
    const { config } = setup();
    expect(await runCli(["registry", "pin", "--config", config])).toMatchObject({ code: 1, stderr: expect.stringContaining("name the server to pin, or use --all") });
    expect(await runCli(["registry", "check", "nope", "--config", config])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("no server 'nope' in the registry (registered: rug, broken)"),
    });
  });
});
