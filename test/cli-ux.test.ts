/**
 * @module The CLI's manners: what a command loads, --version, completion,
 * one name per option, `-` for stdin, progress on stderr and colour.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS, commandName } from "../cli/command-table.js";
import { selectedCommand } from "../cli/run.js";
import { OPA_VERSION } from "../src/toolchain/opa.js";
import { buildReference, referencePolicy, tempDir } from "./helpers/bundles.js";
import { repoRoot, runCli, spawnCli } from "./helpers/cli.js";

let dir: string;
let bundle: string;
const example = (name: string) => join(referencePolicy, "examples", `${name}.json`);
const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

beforeAll(async () => {
  dir = await tempDir("mcpgov-cli-ux-");
  bundle = await buildReference(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the built CLI with a resolve hook that writes every module URL it loads to a file. */
async function loadedModules(args: string[], name: string): Promise<string[]> {
  const trace = join(dir, `${name}.trace`);
  const result = spawnSync(process.execPath, ["--import", join(repoRoot, "test/fixtures/load-trace/register.mjs"), join(repoRoot, "bin/mcpgov.js"), ...args], {
    cwd: repoRoot,
    env: { ...process.env, MCPGOV_LOAD_TRACE: trace },
    encoding: "utf8",
  });
  expect(result.status, result.stderr).toBe(0);
  return (await readFile(trace, "utf8")).split("\n").filter(Boolean);
}

const HEAVY = [/\/src\/gateway\//, /\/src\/audit\//, /\/src\/state\//, /better-sqlite3/, /\/pg\//, /@modelcontextprotocol\/sdk/, /\/hono\//, /\/pino\//];

describe("lazy commands", () => {
  it("--help loads no command module, no gateway, SQLite, PostgreSQL, OPA WASM, MCP SDK, Hono or pino", async () => {
    const loaded = await loadedModules(["--help"], "help");
    expect(loaded.some((url) => url.endsWith("/dist/cli/run.js"))).toBe(true); // the trace sees our own modules
    for (const heavy of [...HEAVY, /opa-wasm/, /\/cli\/commands\//, /jose/]) expect(loaded.filter((url) => heavy.test(url))).toEqual([]);
  });

  it("eval loads the WASM engine and its own command, and nothing of the gateway or the stores", async () => {
    const loaded = await loadedModules(["eval", "--bundle", bundle, "--input", example("1-read-approved-server")], "eval");
    expect(loaded.some((url) => /opa-wasm/.test(url))).toBe(true);
    expect(loaded.filter((url) => /\/cli\/commands\//.test(url))).toEqual([expect.stringMatching(/\/cli\/commands\/eval\.js$/)]);
    for (const heavy of [...HEAVY, /jose/]) expect(loaded.filter((url) => heavy.test(url))).toEqual([]);
  });

  it("the command table lists each command as its module declares it", async () => {
    const io = { out: () => undefined, err: () => undefined, stdin: async () => "", env: {} };
    for (const entry of COMMANDS) {
      const module = await entry.load(io);
      expect({ command: module.command, describe: module.describe }).toEqual({ command: entry.command, describe: entry.describe });
    }
  });

  it("finds the command after options and in completion requests", () => {
    expect(selectedCommand(["--quiet", "eval", "-b", "x"])).toBe(COMMANDS.find((c) => commandName(c) === "eval"));
    expect(selectedCommand(["--get-yargs-completions", "mcpgov", "audit", "--"])).toBe(COMMANDS.find((c) => commandName(c) === "audit"));
    expect(selectedCommand(["--help"])).toBeUndefined();
  });
});

describe("--version", () => {
  it("prints the package version and the OPA version bundles are built with", () => {
    const result = spawnCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`mcpgov ${version} (OPA ${OPA_VERSION})`);
  });
});

describe("completion", () => {
  it("prints a bash completion script for mcpgov", async () => {
    const result = await runCli(["completion"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("###-begin-mcpgov-completions-###");
    expect(result.stdout).toContain("--get-yargs-completions");
  });

  it("completes command names and a command's options", () => {
    const commands = spawnCli(["--get-yargs-completions", "mcpgov", ""]);
    expect(commands.stdout.split("\n")).toEqual(expect.arrayContaining(["eval", "audit", "test", "completion"]));
    const options = spawnCli(["--get-yargs-completions", "mcpgov", "eval", "--"]);
    expect(options.stdout.split("\n")).toEqual(expect.arrayContaining(["--bundle", "--input", "--format"]));
  });
});

describe("one name per setting", () => {
  it("audit reads --data-dir and MCPGOV_DATA_DIR, like the gateway's data_dir", async () => {
    const missing = join(dir, "no-data-here");
    const flag = await runCli(["audit", "verify", "--data-dir", missing]);
    expect(flag.stderr).toContain(`no audit store in ${missing}`);
    expect(flag.stderr).not.toContain("deprecated");
    const env = await runCli(["audit", "verify"], { env: { MCPGOV_DATA_DIR: missing } });
    expect(env.stderr).toContain(`no audit store in ${missing}`);
  });

  it("the old --data and MCPGOV_DATA still work, hidden from --help, with one warning line each", async () => {
    const missing = join(dir, "old-spelling");
    const flag = await runCli(["audit", "verify", "--data", missing]);
    expect(flag.stderr.split("\n").filter((line) => line.includes("deprecated"))).toEqual(["mcpgov: warning: --data is deprecated, use --data-dir"]);
    expect(flag.stderr).toContain(`no audit store in ${missing}`);
    const env = await runCli(["audit", "verify"], { env: { MCPGOV_DATA: missing } });
    expect(env.stderr.split("\n").filter((line) => line.includes("deprecated"))).toEqual(["mcpgov: warning: MCPGOV_DATA is deprecated, use MCPGOV_DATA_DIR"]);
    expect(env.stderr).toContain(`no audit store in ${missing}`);
    const help = await runCli(["audit", "--help"]);
    expect(help.stdout).toContain("--data-dir");
    expect(help.stdout).not.toMatch(/--data\s/);
  });

  it("both spellings at once is a usage error", async () => {
    const result = await runCli(["audit", "verify", "--data", dir, "--data-dir", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("give --data-dir only (--data is its deprecated spelling)");
  });
});

describe("mcpgov test -v and --run", () => {
  it("without -v shows failures and the summary only; -v names every test and case with its result", async () => {
    const quiet = await runCli(["test", referencePolicy, "--run", "outside the registry"]);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).not.toContain("a server outside the registry is denied: PASS");
    expect(quiet.stdout).toMatch(/^PASS: (\d+)\/\1$/m);
    const verbose = await runCli(["test", referencePolicy, "--run", "outside the registry", "-v"]);
    expect(verbose.code).toBe(0);
    expect(verbose.stdout).toMatch(/^a server outside the registry is denied: PASS \(/m);
  });

  it("a --run pattern that matches nothing fails with exit 2 and says so", async () => {
    const result = await runCli(["test", referencePolicy, "--run", "no-such-test-anywhere"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('mcpgov: --run "no-such-test-anywhere" matches no Rego test and no case');
    expect(result.stdout).toBe("");
  });
});
