/**
 * @module The only module that runs the OPA CLI.
 *
 * Resolution order: MCPGOV_OPA (an explicit binary, any version), then
 * `opa` on PATH if it is the pinned version, then the copy `npm install`
 * builds into .tools/bin.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { McpgovError } from "../core/errors.js";

export const OPA_VERSION = "1.22.2";
export const OPA_MODULE = `github.com/open-policy-agent/opa@v${OPA_VERSION}`;

/** The package root, found from this file whether it runs from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("mcpgov: cannot find package root");
    dir = parent;
  }
  return dir;
}

/** Where `npm install` builds opa; MCPGOV_TOOLS_DIR moves it (tests use it to simulate a bare machine). */
export const toolsBinDir = (): string => join(process.env["MCPGOV_TOOLS_DIR"] ?? join(packageRoot(), ".tools"), "bin");

export interface OpaRun {
  status: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: readonly string[], cwd?: string): Promise<OpaRun> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(error);
        return;
      }
      resolvePromise({ status: error ? (error.code as unknown as number) : 0, stdout, stderr });
    });
  });
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export async function opaVersionOf(binary: string): Promise<string | undefined> {
  try {
    const run = await exec(binary, ["version"]);
    return /^Version:\s*(\S+)/m.exec(run.stdout)?.[1];
  } catch {
    return undefined;
  }
}

export interface OpaBinary {
  path: string;
  version: string | undefined;
  source: "MCPGOV_OPA" | "PATH" | "tools";
}

let cached: Promise<OpaBinary> | undefined;

export function installHint(): string {
  const haveGo = onPath("go") !== undefined;
  return haveGo
    ? `run \`npm install\` in ${packageRoot()} (it runs \`go install ${OPA_MODULE}\` into .tools/bin), or set MCPGOV_OPA to an opa binary`
    : `install Go (https://go.dev/doc/install) and run \`npm install\` again, or install OPA v${OPA_VERSION} on PATH, or set MCPGOV_OPA to an opa binary`;
}

async function locate(): Promise<OpaBinary> {
  const explicit = process.env["MCPGOV_OPA"];
  if (explicit) {
    const path = resolve(explicit);
    const version = await opaVersionOf(path);
    if (!version) throw new McpgovError("opa_not_found", `MCPGOV_OPA=${explicit} is not a runnable opa binary`);
    return { path, version, source: "MCPGOV_OPA" };
  }
  const fromPath = onPath("opa");
  if (fromPath && (await opaVersionOf(fromPath)) === OPA_VERSION) {
    return { path: fromPath, version: OPA_VERSION, source: "PATH" };
  }
  const tools = join(toolsBinDir(), "opa");
  if (existsSync(tools)) {
    const version = await opaVersionOf(tools);
    if (version) return { path: tools, version, source: "tools" };
  }
  throw new McpgovError("opa_not_found", `the OPA CLI v${OPA_VERSION} was not found: ${installHint()}`);
}

/** Finds the opa binary once per process. */
export function findOpa(): Promise<OpaBinary> {
  cached ??= locate().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

/** Runs `opa <args>`; a non-zero exit is returned, not thrown, so callers can parse opa's own errors. */
export async function runOpa(args: readonly string[], options: { cwd?: string } = {}): Promise<OpaRun> {
  const opaBinary = await findOpa();
  try {
    return await exec(opaBinary.path, args, options.cwd);
  } catch (cause) {
    throw new McpgovError("opa_failed", `could not run ${opaBinary.path}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Starts a long-running opa (the benchmark's `opa run --server`). The caller
 * owns the process and must kill it.
 */
export async function startOpa(args: readonly string[], options: { cwd?: string } = {}): Promise<ChildProcess> {
  const opaBinary = await findOpa();
  return spawn(opaBinary.path, args, { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
}
