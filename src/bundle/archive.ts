/** @module Reads and writes OPA bundle archives (tar.gz) as a map of path → bytes. */
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as tar from "tar";
import { McpgovError } from "../core/errors.js";

/** Bundle files keyed by path without a leading slash, e.g. "policy.wasm", ".manifest". */
export type BundleFiles = Map<string, Buffer>;

export function normaliseEntryPath(path: string): string {
  return path.replace(/^(\.\/|\/)+/, "");
}

export async function readBundleArchive(path: string): Promise<BundleFiles> {
  const files: BundleFiles = new Map();
  const pending: Promise<void>[] = [];
  try {
    await tar.t({
      file: path,
      strict: true,
      onReadEntry(entry) {
        if (entry.type !== "File") {
          entry.resume();
          return;
        }
        const name = normaliseEntryPath(entry.path);
        pending.push(
          new Promise((resolve, reject) => {
            const chunks: Buffer[] = [];
            entry.on("data", (chunk: Buffer) => chunks.push(chunk));
            entry.on("end", () => {
              if (files.has(name)) reject(new Error(`duplicate entry ${name}`));
              files.set(name, Buffer.concat(chunks));
              resolve();
            });
            entry.on("error", reject);
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
  if (files.size === 0) throw new McpgovError("bundle_invalid", `${path}: bundle archive is empty`);
  return files;
}

/**
 * Writes files as a gzipped tar with sorted entries, fixed mode and mtime,
 * so the archive bytes depend on nothing but the content.
 */
export async function writeBundleArchive(path: string, files: BundleFiles): Promise<void> {
  const staging = await mkdtemp(join(tmpdir(), "mcpgov-bundle-"));
  try {
    const names = [...files.keys()].sort();
    for (const name of names) {
      const target = join(staging, name);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, files.get(name)!, { mode: 0o644 });
    }
    await mkdir(dirname(path), { recursive: true });
    await tar.c({ gzip: { level: 9 }, file: path, cwd: staging, portable: true, mtime: new Date(0), noDirRecurse: true }, names);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export async function readFileBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new McpgovError("io_error", `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}
