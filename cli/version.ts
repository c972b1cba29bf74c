/** @module `mcpgov --version`: the package's version and the OPA release its bundles are built with. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OPA_VERSION, packageRoot } from "../src/toolchain/opa.js";

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error("mcpgov: package.json has no version");
  return manifest.version;
}

export const versionLine = (): string => `mcpgov ${packageVersion()} (OPA ${OPA_VERSION})`;
