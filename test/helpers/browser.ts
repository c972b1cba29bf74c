/**
 * @module Headless Chromium for browser tests, from the `@sparticuz/chromium`
 * npm package: `npm install` brings it, no system package is needed.
 *
 * The package ships a brotli-packed chrome-headless-shell for x64 Linux and
 * `executablePath()` unpacks it into `os.tmpdir()`, reusing a `chromium` file
 * found there. That reuse is unsafe on a shared machine: another checkout may
 * have left a different version, or be half-way through writing it. So the
 * unpacking runs in a child process whose TMPDIR is a fresh staging folder,
 * which is then renamed to a folder named after the package version; a rename
 * is atomic, so a reader sees a complete browser or none.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { repoRoot } from "./cli.js";

const PACKAGE = "@sparticuz/chromium";

/**
 * Our own flags, not the package's `chromium.args`: those are tuned for
 * Lambda and include `--disable-web-security` and
 * `--allow-running-insecure-content`, which would blunt the CSP and Origin
 * checks a console test wants to see as a real browser does. The
 * background-networking flags keep Chromium from reaching for Google's hosts
 * on a machine whose network is closed.
 */
export const BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

function packageVersion(): string {
  // The package's exports map hides package.json, so find it beside the resolved entry (build/esm/index.js).
  const entry = createRequire(join(repoRoot, "package.json")).resolve(PACKAGE);
  const manifest = join(dirname(entry), "..", "..", "package.json");
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

/** The path of the unpacked browser, unpacking it on first use. */
export function chromiumExecutable(): string {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`${PACKAGE} ships a Chromium for linux/x64 only; this machine is ${process.platform}/${process.arch}`);
  }
  const folder = join(tmpdir(), `mcpgov-chromium-${packageVersion()}`);
  const executable = join(folder, "chromium");
  if (existsSync(executable)) return owned(folder, executable);

  const staging = mkdtempSync(join(tmpdir(), "mcpgov-chromium-staging-"));
  try {
    const script = `const { default: chromium } = await import(${JSON.stringify(PACKAGE)}); process.stdout.write(await chromium.executablePath());`;
    const unpacked = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: repoRoot,
      env: { ...process.env, TMPDIR: staging },
      encoding: "utf8",
      timeout: 120_000,
    });
    if (unpacked !== join(staging, "chromium")) throw new Error(`${PACKAGE} unpacked to ${unpacked}, expected ${join(staging, "chromium")}`);
    try {
      renameSync(staging, folder);
    } catch (error: unknown) {
      // Another test run won the race and its folder is complete; use that one.
      if (!existsSync(executable)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return owned(folder, executable);
}

/** Refuses a browser folder in the shared temp directory that another user made (and could have filled). */
function owned(folder: string, executable: string): string {
  const uid = process.getuid?.();
  if (uid !== undefined && statSync(folder).uid !== uid) throw new Error(`${folder} belongs to another user; remove it or set TMPDIR`);
  return executable;
}

/** A persistent browser context on `profile`, launched from the packaged Chromium. */
export function launchBrowser(profile: string, options: { javaScriptEnabled: boolean }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, { executablePath: chromiumExecutable(), headless: true, args: BROWSER_ARGS, javaScriptEnabled: options.javaScriptEnabled });
}
