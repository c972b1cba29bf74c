/**
 * @module The npm package installs: `npm pack` (its prepack builds dist/)
 * makes a tarball whose `mcpgov`, installed globally into a temp prefix,
 * prints its version and decides an envelope with a built bundle — with no
 * OPA and no source tree.
 *
 * The pack runs in a copy of the sources (node_modules linked), because
 * prepack rebuilds dist/ from scratch and other test files run the CLI
 * from this checkout's dist/ meanwhile. The install needs the npm registry
 * for the dependencies (reachable here); --prefer-offline keeps it on the
 * shared npm cache where it can.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cp, mkdir, readdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPA_VERSION } from "../src/toolchain/opa.js";
import { buildReference, referencePolicy, tempDir } from "./helpers/bundles.js";
import { repoRoot } from "./helpers/cli.js";

const SOURCES = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "README.md", "LICENSE", "CHANGELOG.md", "bin", "cli", "src", "scripts", "policy", "config", "test"];
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

let dir: string;
let tarball: string;
let prefix: string;
let bundle: string;
let installLog = "";

beforeAll(async () => {
  dir = await tempDir("mcpgov-pack-");
  bundle = await buildReference(dir);
  const source = join(dir, "source");
  for (const entry of SOURCES) await cp(join(repoRoot, entry), join(source, entry), { recursive: true });
  await symlink(join(repoRoot, "node_modules"), join(source, "node_modules"), "dir");
  const packs = join(dir, "packs");
  await mkdir(packs);
  // The real `npm pack`: prepack builds dist/, prepare makes OPA available (found at once: MCPGOV_OPA).
  const pack = spawnSync(npm, ["pack", "--pack-destination", packs], { cwd: source, env: packEnv(), encoding: "utf8" });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stdout}\n${pack.stderr}`);
  tarball = join(packs, (await readdir(packs)).find((name) => name.endsWith(".tgz"))!);
  prefix = join(dir, "prefix");
  // As the README says to install it; our postinstall must not fail the install.
  const install = spawnSync(npm, ["install", "--global", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", "--allow-scripts=mcpgov,better-sqlite3", "--foreground-scripts", tarball], {
    cwd: dir,
    env: packEnv(),
    encoding: "utf8",
  });
  if (install.status !== 0) throw new Error(`npm install --global failed:\n${install.stdout}\n${install.stderr}`);
  installLog = `${install.stdout}\n${install.stderr}`;
}, 900_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function packEnv(): NodeJS.ProcessEnv {
  const opa = spawnSync(process.execPath, ["-e", "import('./dist/src/toolchain/opa.js').then(async (m) => console.log((await m.findOpa()).path))"], { cwd: repoRoot, encoding: "utf8" });
  return { ...process.env, MCPGOV_OPA: opa.stdout.trim() };
}

/** The installed `mcpgov`, run from an empty folder with no MCPGOV_OPA: only the package itself is there. */
function installed(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(prefix, "bin")}:${process.env["PATH"] ?? ""}` };
  delete env["MCPGOV_OPA"];
  return spawnSync(join(prefix, "bin", "mcpgov"), args, { cwd: dir, env, encoding: "utf8" });
}

describe("the npm package", () => {
  it("ships the compiled CLI, policies, LICENSE and CHANGELOG, and no tests or sources", () => {
    const files = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
    expect(files).toEqual(expect.arrayContaining(["package/bin/mcpgov.js", "package/dist/cli/main.js", "package/scripts/postinstall.mjs", "package/LICENSE", "package/CHANGELOG.md", "package/README.md"]));
    expect(files.some((f) => f.startsWith("package/policy/lib/"))).toBe(true);
    expect(files.some((f) => f.startsWith("package/policy/reference/"))).toBe(true);
    expect(files.filter((f) => /\.test\.|^package\/test\/|^package\/dist\/test\/|\.ts$|\.map$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("its postinstall ran at the global install and found the OPA it was pointed at", () => {
    expect(installLog).toMatch(/mcpgov: using opa [\d.]+ \(MCPGOV_OPA: /);
  });

  it("installed globally from the tarball, mcpgov --version answers", () => {
    const result = installed(["--version"]);
    expect(result.status, result.stderr).toBe(0);
    const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(result.stdout.trim()).toBe(`mcpgov ${version} (OPA ${OPA_VERSION})`);
  });

  it("installed globally, mcpgov eval decides with a built bundle, no OPA needed", () => {
    const result = installed(["eval", "--bundle", bundle, "--input", join(referencePolicy, "examples", "2-production-write.json"), "--format", "json"]);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: "REQUIRE_APPROVAL", rules: ["require-approval-production-write"] });
  });
});
