/** @module A bundle read from disk, with its manifest, stamp and recomputed content hash. */
import { McpgovError } from "../core/errors.js";
import { describeIssues } from "../core/issues.js";
import { readBundleArchive, type BundleFiles } from "./archive.js";
import { bundleContentHash, parseJsonFile } from "./hash.js";
import { ManifestSchema, stampOf, type Manifest } from "./manifest.js";

export interface Bundle {
  path: string;
  files: BundleFiles;
  manifest: Manifest;
  /** The hash recorded in the manifest when the bundle was built, if any. */
  stamp: string | undefined;
  /** The hash recomputed from the content now. */
  hash: string;
}

export function inspectBundle(path: string, files: BundleFiles): Bundle {
  const raw = files.get(".manifest");
  if (!raw) throw new McpgovError("bundle_invalid", `${path}: bundle has no .manifest`);
  const parsed = ManifestSchema.safeParse(parseJsonFile(".manifest", raw));
  if (!parsed.success) {
    throw new McpgovError("bundle_invalid", `${path}: .manifest is invalid: ${describeIssues(parsed.error)}`);
  }
  return { path, files, manifest: parsed.data, stamp: stampOf(parsed.data), hash: bundleContentHash(files) };
}

export async function readBundle(path: string): Promise<Bundle> {
  return inspectBundle(path, await readBundleArchive(path));
}

/** Throws unless the stamp is present and equals the recomputed hash. */
export function assertStampMatches(bundle: Bundle): void {
  if (bundle.stamp === undefined) {
    throw new McpgovError(
      "bundle_unstamped",
      `${bundle.path}: bundle carries no mcpgov content hash (build it with \`mcpgov build\`); refusing an unverifiable bundle`,
      { data: { actual: bundle.hash } },
    );
  }
  if (bundle.stamp !== bundle.hash) {
    throw new McpgovError(
      "bundle_tampered",
      `${bundle.path}: content does not match its stamp (stamped ${bundle.stamp}, content is ${bundle.hash}); the bundle was modified after it was built`,
      { data: { stamped: bundle.stamp, actual: bundle.hash } },
    );
  }
}

export async function readVerifiedBundle(path: string): Promise<Bundle> {
  const bundle = await readBundle(path);
  assertStampMatches(bundle);
  return bundle;
}
