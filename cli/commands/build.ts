/** @module `mcpgov build [POLICY_DIR] -o OUT [--signing-key KEY.pem]`. */
import type { Argv } from "yargs";
import { signBundleArchive } from "../../src/bundle/sign-archive.js";
import { parseSigningAlgorithm, readSigningKey } from "../../src/bundle/signing.js";
import { buildBundle } from "../../src/toolchain/build.js";
import type { CliIo } from "../io.js";
import { type SigningArgs, signingOptions } from "./sign.js";

export function buildCommand(io: CliIo) {
  return {
    command: "build [policy]",
    describe: "compile a policy folder to a stamped OPA WASM bundle (signed with --signing-key)",
    builder: (y: Argv) =>
      signingOptions(
        y
          .positional("policy", { type: "string", default: "policy/reference", describe: "policy folder (Rego and data)" })
          .option("output", { alias: "o", type: "string", default: "bundles/bundle.tar.gz", describe: "bundle file to write" })
          .option("revision", { type: "string", describe: "revision recorded in the manifest (e.g. a git commit)" })
          .option("format", { choices: ["pretty", "json"] as const, default: "pretty" as const }),
        false,
      ),
    handler: async (argv: SigningArgs & { policy: string; output: string; revision?: string; format: "pretty" | "json" }) => {
      // The key is read before the build, so a wrong key fails fast.
      const signer = argv.signingKey === undefined ? undefined : await readSigningKey(argv.signingKey, parseSigningAlgorithm(argv.signingAlg), argv.keyId);
      const result = await buildBundle({
        policyDir: argv.policy,
        output: argv.output,
        ...(argv.revision !== undefined ? { revision: argv.revision } : {}),
      });
      const signed = signer ? await signBundleArchive(result.output, result.output, signer, argv.scope !== undefined ? { scope: argv.scope } : {}) : undefined;
      const signature = signed ? { key_id: signed.keyId, algorithm: signed.algorithm } : undefined;
      if (argv.format === "json") io.out(JSON.stringify({ ...result, ...(signature ? { signature } : {}) }));
      else io.out(`built ${result.output}\nhash ${result.hash}\nrevision ${result.revision || "(none)"}${signature ? `\nsigned by ${signature.key_id} (${signature.algorithm})` : ""}`);
      return 0 as const;
    },
  };
}
