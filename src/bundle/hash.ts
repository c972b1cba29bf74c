/**
 * @module The bundle content hash.
 *
 * Definition (also in the README):
 *   1. Take every file of the bundle except `.signatures.json` (OPA's
 *      signatures are over the content, so they cannot be part of it).
 *   2. Canonicalise each file: `.json` files and `.manifest` are parsed and
 *      re-serialised as canonical JSON (sorted keys, no white space); in
 *      `.manifest` the stamp `metadata.mcpgov.content_hash` is removed first.
 *      Every other file is taken byte for byte.
 *   3. For each file, sorted by path (no leading slash, UTF-8 byte order),
 *      write `<path>\n<sha256 hex of canonical bytes>\n`.
 *   4. The hash is `sha256:` + the SHA-256 hex of that listing.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../core/canonical.js";
import { McpgovError } from "../core/errors.js";
import type { BundleFiles } from "./archive.js";
import { withoutStamp } from "./manifest.js";

export const EXCLUDED_FROM_HASH = new Set([".signatures.json"]);

export function sha256Hex(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function parseJsonFile(name: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (cause) {
    throw new McpgovError("bundle_invalid", `bundle file ${name} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

function canonicalBytes(name: string, bytes: Buffer): Buffer | string {
  if (name === ".manifest") {
    return canonicalJson(withoutStamp(parseJsonFile(name, bytes) as Record<string, unknown>));
  }
  if (name.endsWith(".json")) return canonicalJson(parseJsonFile(name, bytes));
  return bytes;
}

export function bundleContentHash(files: BundleFiles): string {
  const names = [...files.keys()]
    .filter((name) => !EXCLUDED_FROM_HASH.has(name))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const listing = createHash("sha256");
  for (const name of names) {
    listing.update(`${name}\n${sha256Hex(canonicalBytes(name, files.get(name)!))}\n`);
  }
  return `sha256:${listing.digest("hex")}`;
}

/** sha256 of the canonical JSON of a value, as the envelope's arguments_digest. */
export function jsonDigest(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
