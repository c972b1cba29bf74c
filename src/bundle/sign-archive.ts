/** @module Signs a stamped bundle archive in place (or to a new file): the stamp is checked first, never changed. */
import { assertStampMatches, readBundle } from "./bundle.js";
import { writeBundleArchive } from "./archive.js";
import { type SigningKey, signBundleFiles, signedFileList } from "./signing.js";

export interface SignArchiveResult {
  output: string;
  hash: string;
  keyId: string;
  algorithm: string;
  files: string[];
}

/**
 * Only a bundle whose stamp matches its content is signed: signing
 * vouches for what `mcpgov build` produced, not for a bundle edited since.
 */
export async function signBundleArchive(input: string, output: string, signer: SigningKey, options: { scope?: string } = {}): Promise<SignArchiveResult> {
  const bundle = await readBundle(input);
  assertStampMatches(bundle);
  const signed = await signBundleFiles(bundle.files, signer, options);
  await writeBundleArchive(output, signed);
  return { output, hash: bundle.hash, keyId: signer.keyId, algorithm: signer.algorithm, files: signedFileList(signed).map((f) => f.name) };
}
