/** @module A bundle under a new revision: same policy, new manifest, a fresh stamp (so a new content hash). */
import { bundleContentHash, parseJsonFile } from "./hash.js";
import type { BundleFiles } from "./archive.js";
import { withoutStamp, withStamp } from "./manifest.js";

export function withRevision(files: BundleFiles, revision: string): BundleFiles {
  const manifest = files.get(".manifest");
  const next = new Map(files);
  const unstamped = { ...withoutStamp((manifest ? parseJsonFile(".manifest", manifest) : {}) as Record<string, unknown>), revision };
  next.set(".manifest", Buffer.from(JSON.stringify(unstamped)));
  next.set(".manifest", Buffer.from(JSON.stringify(withStamp(unstamped, bundleContentHash(next)))));
  return next;
}
