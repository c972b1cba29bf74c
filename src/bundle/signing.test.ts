import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BundleFiles } from "./archive.js";
import { opaHashForm } from "./opa-json.js";
import { readSigningKey, readVerificationKey, signatureHashOf, signBundleFiles, type SigningAlgorithm, SIGNATURES_FILE, type VerificationKey, verifyBundleSignature } from "./signing.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcpgov-signing-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A fresh key pair on disk: PKCS#8 private, SPKI public. */
async function keyPair(name: string, algorithm: SigningAlgorithm): Promise<{ privateFile: string; publicFile: string }> {
  const pair =
    algorithm === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privateFile = join(dir, `${name}.pem`);
  const publicFile = join(dir, `${name}.pub.pem`);
  await writeFile(privateFile, pair.privateKey.export({ type: "pkcs8", format: "pem" }));
  await writeFile(publicFile, pair.publicKey.export({ type: "spki", format: "pem" }));
  return { privateFile, publicFile };
}

const bundle = (): BundleFiles =>
  new Map([
    [".manifest", Buffer.from('{"revision":"r1","roots":["mcpgov"],"metadata":{"mcpgov":{"content_hash":"sha256:00"}}}')],
    ["data.json", Buffer.from('{"mcpgov":{"limit": 1.0}}')],
    ["mcpgov/rules/a.rego", Buffer.from("package mcpgov.rules.a\n")],
    ["policy.wasm", Buffer.from([0, 97, 115, 109])],
  ]);

describe("OPA's hash form", () => {
  it("matches the hash opa build --signing-key wrote for the same data.json", () => {
    // From OPA 1.22: numbers keep their literal, no HTML escaping, U+2028 escaped, keys sorted.
    const data = Buffer.from('{"mcpgov":{"z":[1e3, 2],"s":"<&>\\u2028","a":1.0}}');
    expect(signatureHashOf("data.json", data)).toBe("b5f201d050f88820ce3e46bb1b7a08cd29fbb21fbe82acedfaf82b256440eb9b");
    expect(opaHashForm('{"b":"\\b\\f\\u0001","a":true}')).toBe('{"a":true,"b":"\\b\\f\\u0001"}');
  });

  it("hashes other files byte for byte", () => {
    expect(signatureHashOf("a.rego", Buffer.from("package a\n"))).toBe(signatureHashOf("a.rego", Buffer.from("package a\n")));
    expect(signatureHashOf("x/data.json", Buffer.from('{"a": 1}'))).toBe(signatureHashOf("data.json", Buffer.from('{"a":1}')));
  });
});

describe.each(["RS256", "ES256"] as const)("signing with %s", (algorithm) => {
  let signed: BundleFiles;
  let keys: VerificationKey[];
  let other: VerificationKey[];

  beforeAll(async () => {
    const pair = await keyPair(`k-${algorithm}`, algorithm);
    const stranger = await keyPair(`s-${algorithm}`, algorithm);
    signed = await signBundleFiles(bundle(), await readSigningKey(pair.privateFile, algorithm, "release"));
    keys = [await readVerificationKey({ id: "release", public_key_file: pair.publicFile, algorithm })];
    other = [await readVerificationKey({ id: "release", public_key_file: stranger.publicFile, algorithm })];
  });

  it("verifies a bundle it signed, in OPA's format", async () => {
    expect(await verifyBundleSignature("b", signed, { keys, required: true })).toEqual({ signed: true, keyId: "release", files: 4 });
    const token = (JSON.parse(signed.get(SIGNATURES_FILE)!.toString()) as { signatures: string[] }).signatures[0]!;
    const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { files: Array<{ name: string; algorithm: string }>; keyid: string };
    expect(payload.keyid).toBe("release");
    expect(payload.files.map((f) => f.name)).toEqual([".manifest", "data.json", "mcpgov/rules/a.rego", "policy.wasm"]);
    expect(new Set(payload.files.map((f) => f.algorithm))).toEqual(new Set(["SHA-256"]));
  });

  it("ignores white space in JSON files, as OPA does", async () => {
    const spaced = new Map(signed).set("data.json", Buffer.from('{ "mcpgov": { "limit": 1.0 } }\n'));
    await expect(verifyBundleSignature("b", spaced, { keys, required: true })).resolves.toMatchObject({ signed: true });
  });

  it("refuses a changed file, an added file, a removed file", async () => {
    const changed = new Map(signed).set("data.json", Buffer.from('{"mcpgov":{"limit":2}}'));
    await expect(verifyBundleSignature("b", changed, { keys, required: true })).rejects.toMatchObject({ code: "bundle_tampered", data: { reason: "digest_mismatch" } });
    const added = new Map(signed).set("mcpgov/rules/b.rego", Buffer.from("package mcpgov.rules.b\n"));
    await expect(verifyBundleSignature("b", added, { keys, required: true })).rejects.toMatchObject({ data: { reason: "unlisted_file" } });
    const removed = new Map(signed);
    removed.delete("mcpgov/rules/a.rego");
    await expect(verifyBundleSignature("b", removed, { keys, required: true })).rejects.toMatchObject({ data: { reason: "missing_file" } });
  });

  it("refuses an unsigned bundle when a signature is required, and accepts it when not", async () => {
    await expect(verifyBundleSignature("b", bundle(), { keys, required: true })).rejects.toMatchObject({ code: "bundle_invalid", data: { reason: "unsigned" } });
    await expect(verifyBundleSignature("b", bundle(), { keys, required: false })).resolves.toEqual({ signed: false });
  });

  it("refuses a signature by another key, an unknown key id and a scope mismatch", async () => {
    await expect(verifyBundleSignature("b", signed, { keys: other, required: true })).rejects.toMatchObject({ code: "bundle_tampered", data: { reason: "signature_invalid" } });
    const renamed = keys.map((k) => ({ ...k, id: "other" }));
    await expect(verifyBundleSignature("b", signed, { keys: [...renamed, ...other.map((k) => ({ ...k, id: "x" }))], required: true })).rejects.toMatchObject({ data: { reason: "unknown_key" } });
    await expect(verifyBundleSignature("b", signed, { keys, required: true, scope: "prod" })).rejects.toMatchObject({ data: { reason: "scope_mismatch" } });
  });
});

describe("JWK keys", () => {
  it("signs with a private JWK and verifies with a JWKS entry picked by the key id", async () => {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const privateFile = join(dir, "jwk.json");
    const jwksFile = join(dir, "jwks.json");
    await writeFile(privateFile, JSON.stringify(pair.privateKey.export({ format: "jwk" })));
    await writeFile(jwksFile, JSON.stringify({ keys: [{ ...pair.publicKey.export({ format: "jwk" }), kid: "ci" }] }));
    const signed = await signBundleFiles(bundle(), await readSigningKey(privateFile, "ES256", "ci"));
    const keys = [await readVerificationKey({ id: "ci", public_key_file: jwksFile, algorithm: "ES256" })];
    await expect(verifyBundleSignature("b", signed, { keys, required: true })).resolves.toMatchObject({ signed: true, keyId: "ci" });
    await expect(readVerificationKey({ id: "other", public_key_file: jwksFile, algorithm: "ES256" })).rejects.toMatchObject({ code: "config_invalid" });
  });
});
