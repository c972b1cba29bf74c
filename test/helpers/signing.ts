/** @module Key pairs and signed bundle variants for signing tests. */
import { generateKeyPairSync } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BundleFiles, readBundleArchive, writeBundleArchive } from "../../src/bundle/archive.js";
import { withRevision } from "../../src/bundle/restamp.js";
import { readSigningKey, type SigningAlgorithm, SIGNATURES_FILE, signBundleFiles } from "../../src/bundle/signing.js";

export interface KeyFiles {
  privateFile: string;
  publicFile: string;
}

/** A fresh key pair on disk: PKCS#8 private, SPKI public (P-256 for ES256, RSA 2048 otherwise). */
export async function writeKeyPair(dir: string, name: string, algorithm: SigningAlgorithm = "RS256"): Promise<KeyFiles> {
  const pair = algorithm.startsWith("ES") ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const files = { privateFile: join(dir, `${name}.pem`), publicFile: join(dir, `${name}.pub.pem`) };
  await writeFile(files.privateFile, pair.privateKey.export({ type: "pkcs8", format: "pem" }));
  await writeFile(files.publicFile, pair.publicKey.export({ type: "spki", format: "pem" }));
  return files;
}

/**
 * Variants of a built bundle under new revisions (so new content hashes),
 * each stamped: signed by a key, unsigned, or "forged" (rebuilt after
 * signing, so the stamp matches but the signed hashes do not).
 */
export async function bundleVariant(
  source: string,
  output: string,
  revision: string,
  how: { signWith?: KeyFiles; algorithm?: SigningAlgorithm; keyId?: string; forge?: boolean },
): Promise<string> {
  const original = await readBundleArchive(source);
  let files: BundleFiles = withRevision(original, revision);
  files.delete(SIGNATURES_FILE);
  if (how.signWith) files = await signBundleFiles(files, await readSigningKey(how.signWith.privateFile, how.algorithm ?? "RS256", how.keyId ?? "release"));
  if (how.forge) {
    // Someone without the key rebuilds (new revision, fresh stamp) and keeps the old signature file.
    const signature = files.get(SIGNATURES_FILE);
    files = withRevision(files, `${revision}-rebuilt`);
    if (signature) files.set(SIGNATURES_FILE, signature);
  }
  await writeBundleArchive(output, files);
  return output;
}
