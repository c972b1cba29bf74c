/**
 * @module Install step: makes the pinned OPA CLI available (run by `npm install`).
 *
 * Leaves an opa that `findOpa` will pick up, building it with `go install`
 * into .tools/bin when neither MCPGOV_OPA nor a matching `opa` on PATH is
 * there. Without Go it explains what to install and does not fail the
 * install: evaluating an already built bundle needs no OPA.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { findOpa, installHint, OPA_MODULE, OPA_VERSION, toolsBinDir } from "../src/toolchain/opa.js";

async function main(): Promise<number> {
  try {
    const found = await findOpa();
    if (found.version === OPA_VERSION || found.source === "MCPGOV_OPA") {
      console.log(`mcpgov: using opa ${found.version} (${found.source}: ${found.path})`);
      return 0;
    }
  } catch {
    // not found: build it below
  }
  const bin = toolsBinDir();
  mkdirSync(bin, { recursive: true });
  console.log(`mcpgov: building OPA v${OPA_VERSION} with \`go install ${OPA_MODULE}\` into ${bin} (takes a few minutes once)`);
  const go = spawnSync("go", ["install", OPA_MODULE], {
    stdio: "inherit",
    env: { ...process.env, GOBIN: bin, CGO_ENABLED: process.env["CGO_ENABLED"] ?? "0" },
  });
  if (go.error || go.status !== 0) {
    const why = go.error ? go.error.message : `go install exited with ${go.status}`;
    console.warn(`mcpgov: could not build OPA (${why}). \`mcpgov build\` and \`mcpgov test\` need it: ${installHint()}`);
    return process.env["CI"] ? 1 : 0;
  }
  const found = await findOpa();
  console.log(`mcpgov: installed opa ${found.version} at ${found.path}`);
  return 0;
}

process.exitCode = await main();
