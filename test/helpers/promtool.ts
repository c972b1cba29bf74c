/**
 * @module The real `promtool` for the rollout-gate rules test: the one on
 * PATH (Debian's prometheus package, which .ci/run installs), else one built
 * earlier into .tools/bin, else it is built there now with `go install` from
 * the Go module proxy, as OPA is. That build takes about ten minutes once;
 * nobody installs anything by hand.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { toolsBinDir } from "../../src/toolchain/opa.js";

export const PROMTOOL_MODULE = "github.com/prometheus/prometheus/cmd/promtool@v0.316.0";

const works = (path: string) => spawnSync(path, ["--version"]).status === 0;

export function findOrBuildPromtool(): string {
  if (works("promtool")) return "promtool";
  const built = join(toolsBinDir(), "promtool");
  if (existsSync(built) && works(built)) return built;
  mkdirSync(toolsBinDir(), { recursive: true });
  process.stderr.write(`promtool not found: building it with \`go install ${PROMTOOL_MODULE}\` into ${toolsBinDir()} (about ten minutes, once)\n`);
  const go = spawnSync("go", ["install", PROMTOOL_MODULE], { stdio: "inherit", env: { ...process.env, GOBIN: toolsBinDir(), CGO_ENABLED: "0" } });
  if (go.error || go.status !== 0 || !works(built)) {
    throw new Error(`promtool is needed and could not be built (${go.error?.message ?? `go install exited with ${go.status}`}): install Debian's prometheus package, as .ci/run does`);
  }
  return built;
}
