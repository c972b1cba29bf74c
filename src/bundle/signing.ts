/**
 * @module Bundle signatures as OPA defines them: `.signatures.json` holds
 * `{"signatures": ["<JWS compact>"]}`, one JWS whose payload lists every
 * other file of the bundle with the SHA-256 of its content
 * (`{"files": [{"name", "hash", "algorithm": "SHA-256"}], "keyid", "scope"?}`).
 *
 * Hashes follow OPA's `bundle.HashFile`: files named `.manifest`,
 * `data.json` or `data.yaml` are hashed in OPA's JSON form (opa-json.ts),
 * every other file byte for byte. So a bundle signed here verifies with
 * `opa run --bundle --verification-key`, and one signed by `opa build
 * --signing-key` / `opa sign` verifies here.
 *
 * The signature sits beside the mcpgov stamp, not inside it: the content
 * hash excludes `.signatures.json`, and the signature covers the stamped
 * `.manifest`, so signing never changes the content hash.
 */
import { readFile } from "node:fs/promises";
import { posix, resolve } from "node:path";
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK, importPKCS8, importSPKI, type JWK } from "jose";
import { parse as parseYaml } from "yaml";
import { describeThrown, McpgovError } from "../core/errors.js";
import { type BundleSigningConfig, SIGNING_ALGORITHMS } from "../core/gateway-config.js";
import type { BundleFiles } from "./archive.js";
import { sha256Hex } from "./hash.js";
import { opaHashForm } from "./opa-json.js";

export const SIGNATURES_FILE = ".signatures.json";

export { SIGNING_ALGORITHMS };
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** OPA's file entry in the signed payload. */
export interface SignedFile {
  name: string;
  hash: string;
  algorithm: "SHA-256";
}

type Key = Awaited<ReturnType<typeof importSPKI>> | Uint8Array;

export interface SigningKey {
  key: Key;
  algorithm: SigningAlgorithm;
  /** Goes into the JWS `kid` header and the (deprecated) `keyid` claim, as `opa build` writes them. */
  keyId: string;
}

export interface VerificationKey {
  id: string;
  algorithm: SigningAlgorithm;
  key: Key;
}

export interface SignatureVerification {
  keys: readonly VerificationKey[];
  /** When false, an unsigned bundle is accepted (a signed one must still verify). */
  required: boolean;
  /** The `scope` claim a signature must carry (OPA's verification `scope`); absent: none. */
  scope?: string | undefined;
  /** As OPA's verification `keyid`: use this key whatever key id the signature names (a CLI given one key). */
  keyId?: string | undefined;
}

/** What a verified signature said. */
export interface SignatureCheck {
  signed: boolean;
  keyId?: string;
  files?: number;
}

const STRUCTURED = new Set([".manifest", "data.json", "data.yaml"]);

/** The SHA-256 hex of a file as OPA hashes it for a signature. */
export function signatureHashOf(name: string, bytes: Buffer): string {
  const base = posix.basename(name);
  if (!STRUCTURED.has(base)) return sha256Hex(bytes);
  const text = bytes.toString("utf8");
  try {
    // OPA decodes YAML data to JSON first; numbers then lose their literal, as here.
    return sha256Hex(opaHashForm(base === "data.yaml" ? JSON.stringify(parseYaml(text) ?? null) : text));
  } catch (cause) {
    throw new McpgovError("bundle_invalid", `bundle file ${name} is not valid ${base === "data.yaml" ? "YAML" : "JSON"}: ${describeThrown(cause)}`, { cause });
  }
}

/** Every file but .signatures.json, sorted by path, with its hash. */
export function signedFileList(files: BundleFiles): SignedFile[] {
  return [...files.keys()]
    .filter((name) => name !== SIGNATURES_FILE)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((name) => ({ name, hash: signatureHashOf(name, files.get(name)!), algorithm: "SHA-256" as const }));
}

export function parseSigningAlgorithm(value: string): SigningAlgorithm {
  if ((SIGNING_ALGORITHMS as readonly string[]).includes(value)) return value as SigningAlgorithm;
  throw new McpgovError("usage", `unsupported signing algorithm ${value} (supported: ${SIGNING_ALGORITHMS.join(", ")})`);
}

async function readKeyText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (cause) {
    throw new McpgovError("io_error", `cannot read ${what} ${path}: ${(cause as NodeJS.ErrnoException).code ?? describeThrown(cause)}`, { cause });
  }
}

/** A PEM private key (PKCS#8), or a private JWK. */
export async function readSigningKey(path: string, algorithm: SigningAlgorithm = "RS256", keyId = "default"): Promise<SigningKey> {
  const text = await readKeyText(path, "signing key");
  try {
    const key = text.trimStart().startsWith("{") ? await importJWK(JSON.parse(text) as JWK, algorithm) : await importPKCS8(text, algorithm);
    return { key, algorithm, keyId };
  } catch (cause) {
    // The message never quotes the key.
    throw new McpgovError("input_invalid", `${path}: not a ${algorithm} private key (PEM PKCS#8 or JWK): ${describeThrown(cause)}`, { cause });
  }
}

/** A PEM public key (SPKI), a public JWK, or a JWKS (the key whose kid is `id`). */
export async function readVerificationKey(entry: { id: string; public_key_file: string; algorithm: SigningAlgorithm }): Promise<VerificationKey> {
  const text = await readKeyText(entry.public_key_file, "verification key");
  try {
    let key: Key;
    if (text.trimStart().startsWith("{")) {
      const json = JSON.parse(text) as JWK & { keys?: JWK[] };
      const jwk = json.keys ? json.keys.find((k) => k.kid === entry.id) : json;
      if (!jwk) throw new Error(`the JWKS has no key with kid ${entry.id}`);
      key = await importJWK(jwk, entry.algorithm);
    } else {
      key = await importSPKI(text, entry.algorithm);
    }
    return { id: entry.id, algorithm: entry.algorithm, key };
  } catch (cause) {
    throw new McpgovError("config_invalid", `${entry.public_key_file}: not a ${entry.algorithm} public key (PEM SPKI, JWK or JWKS): ${describeThrown(cause)}`, { cause });
  }
}

/** The files with a fresh `.signatures.json` over all the others (any previous signature is replaced). */
export async function signBundleFiles(files: BundleFiles, signer: SigningKey, options: { scope?: string } = {}): Promise<BundleFiles> {
  const payload = {
    files: signedFileList(files),
    keyid: signer.keyId,
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
  };
  const token = await new CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader({ alg: signer.algorithm, kid: signer.keyId, typ: "JWT" })
    .sign(signer.key);
  const next = new Map(files);
  next.set(SIGNATURES_FILE, Buffer.from(JSON.stringify({ signatures: [token] })));
  return next;
}

function refused(path: string, reason: string, message: string): McpgovError {
  return new McpgovError(reason === "unsigned" ? "bundle_invalid" : "bundle_tampered", `${path}: ${message}`, { data: { reason } });
}

function decodePart(token: string, index: number): Record<string, unknown> {
  const part = token.split(".")[index] ?? "";
  const value = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
  return value as Record<string, unknown>;
}

function tokenOf(path: string, raw: Buffer): string {
  let signatures: unknown;
  try {
    signatures = (JSON.parse(raw.toString("utf8")) as { signatures?: unknown }).signatures;
  } catch {
    throw refused(path, "signature_invalid", `${SIGNATURES_FILE} is not valid JSON`);
  }
  // OPA accepts exactly one signature per bundle.
  if (!Array.isArray(signatures) || signatures.length !== 1 || typeof signatures[0] !== "string") {
    throw refused(path, "signature_invalid", `${SIGNATURES_FILE} must hold exactly one signature`);
  }
  return signatures[0];
}

function keyFor(path: string, token: string, verification: SignatureVerification): VerificationKey {
  let kid: unknown;
  let claimed: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
    claimed = decodePart(token, 1)["keyid"];
  } catch {
    throw refused(path, "signature_invalid", "the bundle signature is not a JWS");
  }
  // As OPA: the configured key id, else the header's kid, else the deprecated keyid claim; with one configured key, that key.
  const id = verification.keyId !== undefined ? verification.keyId : typeof kid === "string" && kid !== "" ? kid : typeof claimed === "string" && claimed !== "" ? claimed : undefined;
  const key = id === undefined ? (verification.keys.length === 1 ? verification.keys[0] : undefined) : verification.keys.find((k) => k.id === id);
  if (!key) {
    throw refused(path, "unknown_key", `the bundle is signed with ${id === undefined ? "no key id" : `key id '${id}'`}, which is not among the verification keys (${verification.keys.map((k) => k.id).join(", ")})`);
  }
  return key;
}

function compareFiles(path: string, files: BundleFiles, listed: unknown): number {
  if (!Array.isArray(listed)) throw refused(path, "signature_invalid", "the signed payload has no file list");
  const expected = new Map<string, { hash?: unknown; algorithm?: unknown }>();
  for (const entry of listed as Array<{ name?: unknown; hash?: unknown; algorithm?: unknown }>) {
    if (typeof entry?.name !== "string") throw refused(path, "signature_invalid", "the signed file list has an entry without a name");
    expected.set(entry.name.replace(/^\/+/, ""), entry);
  }
  for (const [name, bytes] of files) {
    if (name === SIGNATURES_FILE) continue;
    const entry = expected.get(name);
    if (!entry) throw refused(path, "unlisted_file", `file ${name} is not included in the bundle signature`);
    if (entry.algorithm !== "SHA-256") throw refused(path, "signature_invalid", `file ${name} is signed with hash algorithm ${String(entry.algorithm)}; only SHA-256 is supported`);
    const actual = signatureHashOf(name, bytes);
    if (actual !== entry.hash) throw refused(path, "digest_mismatch", `file ${name} does not match its signed hash (signed ${String(entry.hash)}, content ${actual})`);
    expected.delete(name);
  }
  if (expected.size > 0) throw refused(path, "missing_file", `file(s) ${[...expected.keys()].join(", ")} are in the bundle signature but not in the bundle`);
  return listed.length;
}

/**
 * Checks the bundle's signature against the verification keys and every
 * file against its signed hash. Throws (code bundle_invalid for an unsigned
 * bundle when a signature is required, bundle_tampered otherwise, with
 * `data.reason`) unless the bundle verifies.
 */
export async function verifyBundleSignature(path: string, files: BundleFiles, verification: SignatureVerification): Promise<SignatureCheck> {
  const raw = files.get(SIGNATURES_FILE);
  if (!raw) {
    if (!verification.required) return { signed: false };
    throw refused(path, "unsigned", `bundle is not signed (no ${SIGNATURES_FILE}); bundle signing is required, refusing it`);
  }
  const token = tokenOf(path, raw);
  const key = keyFor(path, token, verification);
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(token, key.key, { algorithms: [key.algorithm] });
    payload = JSON.parse(Buffer.from(verified.payload).toString("utf8")) as Record<string, unknown>;
  } catch (cause) {
    throw new McpgovError("bundle_tampered", `${path}: the bundle signature does not verify with key '${key.id}' (${key.algorithm}): ${describeThrown(cause)}`, {
      cause,
      data: { reason: "signature_invalid" },
    });
  }
  const scope = typeof payload["scope"] === "string" ? payload["scope"] : "";
  if (scope !== (verification.scope ?? "")) throw refused(path, "scope_mismatch", `the bundle signature's scope '${scope}' is not '${verification.scope ?? ""}'`);
  return { signed: true, keyId: key.id, files: compareFiles(path, files, payload["files"]) };
}

/** The gateway's verification settings with their keys read; relative key paths resolve against `baseDir`. */
export async function loadSignatureVerification(config: BundleSigningConfig, baseDir: string): Promise<SignatureVerification> {
  const keys = await Promise.all(config.keys.map((key) => readVerificationKey({ ...key, public_key_file: resolve(baseDir, key.public_key_file) })));
  return { keys, required: config.required, scope: config.scope };
}
