/** @module A bundle under a new revision: same policy, new manifest, a fresh stamp (so a new content hash), unsigned. */
import { bundleContentHash, parseJsonFile } from "./hash.js";
import type { BundleFiles } from "./archive.js";
import { withoutStamp, withStamp } from "./manifest.js";
import { SIGNATURES_FILE } from "./signing.js";

export function withRevision(files: BundleFiles, revision: string): BundleFiles {
  const manifest = files.get(".manifest");
  const next = new Map(files);
  // The old signature covers the old manifest: kept, it would only make the
  // bundle look forged. Whoever holds the key signs the new one.
  next.delete(SIGNATURES_FILE);
  const unstamped = { ...withoutStamp((manifest ? parseJsonFile(".manifest", manifest) : {}) as Record<string, unknown>), revision };
  next.set(".manifest", Buffer.from(JSON.stringify(unstamped)));
  next.set(".manifest", Buffer.from(JSON.stringify(withStamp(unstamped, bundleContentHash(next)))));
  return next;
}
