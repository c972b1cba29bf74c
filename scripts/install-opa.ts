/**
 * @module Install step: makes the pinned OPA CLI available (run by `npm install`).
 *
 * Leaves an opa that `findOpa` will pick up, building it with `go install`
 * into .tools/bin when neither MCPGOV_OPA nor a matching `opa` on PATH is
 * there. Without Go it explains what to install and does not fail the
 * install: evaluating an already built bundle needs no OPA.
 *
 * Messages go to stderr (npm shows an install script's stderr); a `go
 * install` runs for minutes, so it says so first and then reports every
 * 30 s that it is still at it.
 *
 * `--never-fail` (the global install's postinstall): exit 0 even under CI.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { findOpa, installHint, OPA_MODULE, OPA_VERSION, toolsBinDir } from "../src/toolchain/opa.js";

const HEARTBEAT_MS = Number(process.env["MCPGOV_PROGRESS_INTERVAL_MS"] ?? 30_000);
const say = (text: string) => process.stderr.write(`mcpgov: ${text}\n`);

function goInstall(bin: string): Promise<{ error?: Error; status: number | null }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const go = spawn("go", ["install", OPA_MODULE], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, GOBIN: bin, CGO_ENABLED: process.env["CGO_ENABLED"] ?? "0" },
    });
    const heartbeat = setInterval(() => say(`still building OPA v${OPA_VERSION} (${Math.round((Date.now() - started) / 1000)}s)…`), HEARTBEAT_MS);
    const done = (result: { error?: Error; status: number | null }) => {
      clearInterval(heartbeat);
      resolve(result);
    };
    go.once("error", (error) => done({ error, status: null }));
    go.once("exit", (status) => done({ status }));
  });
}

async function main(neverFail: boolean): Promise<number> {
  try {
    const found = await findOpa();
    if (found.version === OPA_VERSION || found.source === "MCPGOV_OPA") {
      say(`using opa ${found.version} (${found.source}: ${found.path})`);
      return 0;
    }
  } catch {
    // not found: build it below
  }
  const bin = toolsBinDir();
  mkdirSync(bin, { recursive: true });
  say(`building OPA v${OPA_VERSION} with \`go install ${OPA_MODULE}\` into ${bin}`);
  say("this downloads and compiles OPA once and can take several minutes; `mcpgov eval` on built bundles does not need it");
  const go = await goInstall(bin);
  if (go.error || go.status !== 0) {
    const why = go.error ? go.error.message : `go install exited with ${go.status}`;
    say(`could not build OPA (${why}). \`mcpgov build\` and \`mcpgov test\` need it: ${installHint()}`);
    return process.env["CI"] && !neverFail ? 1 : 0;
  }
  const found = await findOpa();
  say(`installed opa ${found.version} at ${found.path}`);
  return 0;
}

process.exitCode = await main(process.argv.includes("--never-fail"));
