/**
 * @module The CLI's manners: what a command loads, --version, completion,
 * one name per option, `-` for stdin, progress on stderr and colour.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { colourEnabled } from "../cli/colour.js";
import { COMMANDS, commandName } from "../cli/command-table.js";
import type { CliIo } from "../cli/io.js";
import { createProgress } from "../cli/progress.js";
import { run, selectedCommand } from "../cli/run.js";
import { OPA_VERSION } from "../src/toolchain/opa.js";
import { buildReference, referencePolicy, tempDir } from "./helpers/bundles.js";
import { repoRoot, runCli, spawnCli } from "./helpers/cli.js";
import { expectExample } from "./helpers/readme.js";

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

  it("the README's example of the old spelling is what the CLI prints", async () => {
    const result = await runCli(["audit", "verify", "--data", "/var/lib/mcpgov"]);
    expectExample("deprecated-data", `$ mcpgov audit verify --data /var/lib/mcpgov\n${result.stderr}${result.stdout}`);
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

/** Runs the CLI in-process as if stdout and stderr were (or were not) terminals. */
async function runAs(args: string[], options: { env?: Record<string, string>; tty?: boolean; stdin?: string } = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    out: (text) => void (stdout += text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => void (stderr += text.endsWith("\n") ? text : `${text}\n`),
    errRaw: (text) => void (stderr += text),
    stdin: async () => options.stdin ?? "",
    env: options.env ?? {},
    tty: { stdout: options.tty ?? false, stderr: options.tty ?? false },
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

const ESC = "\u001b[";

describe("colour", () => {
  const args = ["test", referencePolicy, "--run", "outside the registry", "--no-parity"];

  it("colours the report's status words on a terminal", async () => {
    const result = await runAs(args, { tty: true, env: { TERM: "xterm" } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${ESC}32mPASS${ESC}39m: `);
  });

  it("NO_COLOR turns colour off on a terminal; no terminal means no colour", async () => {
    expect((await runAs(args, { tty: true, env: { TERM: "xterm", NO_COLOR: "1" } })).stdout).not.toContain(ESC);
    expect((await runAs(args, { tty: false, env: {} })).stdout).not.toContain(ESC);
  });

  it("FORCE_COLOR turns it on without a terminal, FORCE_COLOR=0 off on one", async () => {
    expect((await runAs(args, { tty: false, env: { FORCE_COLOR: "1" } })).stdout).toContain(`${ESC}32mPASS`);
    expect((await runAs(args, { tty: true, env: { TERM: "xterm", FORCE_COLOR: "0" } })).stdout).not.toContain(ESC);
  });

  it("decides as Node does", () => {
    expect(colourEnabled({}, true)).toBe(true);
    expect(colourEnabled({ TERM: "dumb" }, true)).toBe(false);
    expect(colourEnabled({ NO_COLOR: "" }, true)).toBe(true); // NO_COLOR counts only when non-empty
    expect(colourEnabled({ NO_COLOR: "1", FORCE_COLOR: "1" }, false)).toBe(true);
  });
});

describe("progress on stderr", () => {
  it("without a terminal: a count line per interval, a final count, nothing on stdout", () => {
    let clock = 0;
    const lines: string[] = [];
    const io: CliIo = { out: () => undefined, err: (text) => void lines.push(text), stdin: async () => "", env: {} };
    const progress = createProgress(io, "diff", { unit: "envelopes", now: () => clock });
    for (let done = 1; done <= 12_000; done++) {
      clock += 1; // one envelope a millisecond: a line every 5,000
      progress.update(done);
    }
    progress.end();
    expect(lines).toEqual(["mcpgov diff: 5,000 envelopes (5s)", "mcpgov diff: 10,000 envelopes (10s)", "mcpgov diff: 12,000 envelopes (12s), done"]);
  });

  it("on a terminal: one line rewritten in place and cleared at the end", () => {
    let clock = 0;
    let written = "";
    const io: CliIo = { out: () => undefined, err: () => undefined, errRaw: (text) => void (written += text), stdin: async () => "", env: {}, tty: { stdout: false, stderr: true } };
    const progress = createProgress(io, "test", { unit: "cases", now: () => clock });
    for (let done = 1; done <= 3; done++) {
      clock += 150;
      progress.update(done, 3);
    }
    progress.end();
    expect(written).not.toContain("\n");
    expect(written.split("\r").filter(Boolean)).toEqual([`${ESC}2Kmcpgov test: 1/3 cases (0s)`, `${ESC}2Kmcpgov test: 2/3 cases (0s)`, `${ESC}2Kmcpgov test: 3/3 cases (0s)`, `${ESC}2K`]);
  });

  it("mcpgov test counts decided cases on stderr", async () => {
    const result = await runAs(["test", referencePolicy, "--no-parity"], { env: { MCPGOV_PROGRESS_INTERVAL_MS: "0" } });
    expect(result.code).toBe(0);
    const counts = result.stderr.split("\n").filter((l) => /^mcpgov test: \d+\/\d+ cases/.test(l));
    const total = Number(/\/(\d+) cases/.exec(counts[0] ?? "")?.[1]);
    expect(total).toBeGreaterThan(1);
    expect(counts.map((l) => l.replace(/ \(\d+s\)/, ""))).toEqual([
      ...Array.from({ length: total }, (_, i) => `mcpgov test: ${i + 1}/${total} cases`),
      `mcpgov test: ${total}/${total} cases, done`,
    ]);
  });

  it("mcpgov diff counts envelopes on stderr (MCPGOV_PROGRESS_INTERVAL_MS sets the pace); --quiet says nothing", async () => {
    const lines = await Promise.all(["1-read-approved-server", "2-production-write", "4-unregistered-server"].map(async (name) => JSON.stringify(JSON.parse(await readFile(example(name), "utf8")))));
    const corpus = join(dir, "three.jsonl");
    await writeFile(corpus, `${lines.join("\n")}\n`);
    const args = ["diff", "--base", bundle, "--head", bundle, "--envelopes", corpus, "--format", "json"];
    const loud = await runAs(args, { env: { MCPGOV_PROGRESS_INTERVAL_MS: "0" } });
    expect(loud.code).toBe(0);
    // Count lines only: a stage line ("preparing base …") shows up too when a stage outlasts a second.
    const progressLines = loud.stderr.split("\n").filter((line) => /^mcpgov diff: \d/.test(line));
    expect(progressLines.map((line) => line.replace(/ \(\d+s\)/, ""))).toEqual([
      "mcpgov diff: 1 envelopes",
      "mcpgov diff: 2 envelopes",
      "mcpgov diff: 3 envelopes",
      "mcpgov diff: 3 envelopes, done",
    ]);
    expect((JSON.parse(loud.stdout) as { envelopes: number }).envelopes).toBe(3);
    const quiet = await runAs([...args, "--quiet"], { env: { MCPGOV_PROGRESS_INTERVAL_MS: "0" } });
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toBe(loud.stdout);
  });
});

describe("- reads standard input", () => {
  it("diff --envelopes - streams JSONL from stdin, lines named <stdin>:N", async () => {
    const envelope = JSON.stringify(JSON.parse(await readFile(example("2-production-write"), "utf8")));
    const result = await runAs(["diff", "--base", bundle, "--head", bundle, "--envelopes", "-", "--format", "json", "-q"], { stdin: `${envelope}\nnot json\n` });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("<stdin>:2");
    const ok = await runAs(["diff", "--base", bundle, "--head", bundle, "--envelopes", "-", "--format", "json", "-q"], { stdin: `${envelope}\n${envelope}\n` });
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { envelopes: number }).envelopes).toBe(2);
  });

  it("eval --input - from a real pipe", async () => {
    const result = spawnSync(process.execPath, [join(repoRoot, "bin/mcpgov.js"), "eval", "-b", bundle, "-i", "-", "--format", "json"], {
      input: await readFile(example("4-unregistered-server"), "utf8"),
      encoding: "utf8",
    });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: "DENY" });
  });
});

describe("- where a path is needed", () => {
  it("says so, naming the argument", async () => {
    for (const [args, what] of [
      [["eval", "--bundle", "-", "--input", example("1-read-approved-server")], "--bundle"],
      [["hash", "-"], "BUNDLE"],
      [["diff", "--base", "-", "--head", "-", "--envelopes", "-"], "--base"],
    ] as const) {
      const result = await runCli([...args]);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr).toContain(`mcpgov: ${what}: needs a file path; - (standard input) is not accepted here`);
    }
  });
});

describe("the OPA build at install", () => {
  it("says what it does and that it takes minutes, reports while go runs, and never fails without CI", async () => {
    // A stand-in for `go`: the real `go install` downloads and compiles OPA for minutes. This one
    // runs for 2.5 s and fails, so the heartbeat and the failure path are both seen.
    const bin = join(dir, "fake-go-bin");
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, "go"), `#!/bin/sh\n"${process.execPath}" -e "setTimeout(() => process.exit(1), 2500)"\n`, { mode: 0o755 });
    const result = spawnSync(process.execPath, [join(repoRoot, "dist/scripts/install-opa.js")], {
      env: { PATH: bin, HOME: dir, MCPGOV_TOOLS_DIR: join(dir, "no-tools"), MCPGOV_PROGRESS_INTERVAL_MS: "1000" },
      encoding: "utf8",
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe("");
    const lines = result.stderr.split("\n");
    expect(lines[0]).toBe(`mcpgov: building OPA v${OPA_VERSION} with \`go install github.com/open-policy-agent/opa@v${OPA_VERSION}\` into ${join(dir, "no-tools", "bin")}`);
    expect(lines[1]).toContain("can take several minutes");
    expect(lines.filter((line) => /^mcpgov: still building OPA v[\d.]+ \(\d+s\)…$/.test(line)).length).toBeGreaterThanOrEqual(1);
    expect(result.stderr).toContain("mcpgov: could not build OPA (go install exited with 1)");
  });
});

describe("MCPGOV_CONFIG", () => {
  it("names the config for serve, stdio and registry when --config is not given", async () => {
    const config = join(dir, "from-env.yaml");
    for (const args of [["serve"], ["stdio", "--server", "x"], ["registry", "list"]]) {
      const result = await runCli(args, { env: { MCPGOV_CONFIG: config } });
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr).toContain(`cannot read ${config}: ENOENT`);
    }
  });
});
