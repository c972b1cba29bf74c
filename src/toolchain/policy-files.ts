/** @module Lists the files of a policy folder the way every toolchain step sees them. */
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/**
 * Files under `root` whose name passes `keep`, as sorted `/`-separated
 * paths relative to `root`. Hidden folders and node_modules are skipped.
 */
export async function listPolicyFiles(root: string, keep: (name: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name === "node_modules" || (entry.isDirectory() && entry.name.startsWith("."))) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && keep(entry.name)) found.push(relative(root, path).split(sep).join("/"));
    }
  }
  await walk(root);
  return found.sort();
}
