/** @module Reads and writes OPA bundle archives (tar.gz) as a map of path → bytes. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import * as tar from "tar";
import { McpgovError } from "../core/errors.js";
import { tarGzBytes } from "./tarball.js";

/**
 * Bundle files keyed by path without a leading slash, e.g. "policy.wasm",
 * ".manifest". Archives carry OPA's form ("/policy.wasm"); bundles written
 * before mcpgov followed it carry the bare one. Both read the same.
 */
export type BundleFiles = Map<string, Buffer>;

export function normaliseEntryPath(path: string): string {
  const name = path.replace(/^(\.\/|\/)+/, "");
  if (name.split("/").some((segment) => segment === "..")) throw new Error(`entry ${path} leaves the bundle`);
  return name;
}

export async function readBundleArchive(path: string): Promise<BundleFiles> {
  const files: BundleFiles = new Map();
  const pending: Promise<void>[] = [];
  // Problems are collected, not thrown from the parser's callbacks, and reported once it is done.
  const problems: string[] = [];
  try {
    await tar.t({
      file: path,
      strict: true,
      onReadEntry(entry) {
        if (entry.type !== "File") {
          entry.resume();
          return;
        }
        let name: string;
        try {
          name = normaliseEntryPath(entry.path);
        } catch (error) {
          problems.push((error as Error).message);
          entry.resume();
          return;
        }
        pending.push(
          new Promise((resolve) => {
            const chunks: Buffer[] = [];
            entry.on("data", (chunk: Buffer) => chunks.push(chunk));
            entry.on("end", () => {
              if (files.has(name)) problems.push(`duplicate entry ${name}`);
              files.set(name, Buffer.concat(chunks));
              resolve();
            });
            entry.on("error", (error: unknown) => {
              problems.push(error instanceof Error ? error.message : String(error));
              resolve();
            });
          }),
        );
      },
    });
    await Promise.all(pending);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException)?.code === "ENOENT") {
      throw new McpgovError("io_error", `bundle not found: ${path}`, { cause });
    }
    throw new McpgovError("bundle_invalid", `${path}: not a readable bundle archive (${(cause as Error).message ?? cause})`, { cause });
  }
  if (problems.length > 0) throw new McpgovError("bundle_invalid", `${path}: not a readable bundle archive (${problems.join("; ")})`);
  if (files.size === 0) throw new McpgovError("bundle_invalid", `${path}: bundle archive is empty`);
  return files;
}

/** The archive bytes of a bundle: reproducible, in OPA's layout (see tarball.ts). */
export function bundleArchiveBytes(files: BundleFiles): Buffer {
  return tarGzBytes(files);
}

/** Writes the bundle archive; its bytes depend on nothing but the files. */
export async function writeBundleArchive(path: string, files: BundleFiles): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bundleArchiveBytes(files), { mode: 0o644 });
}

export async function readFileBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new McpgovError("io_error", `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}
