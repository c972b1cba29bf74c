/** @module `mcpgov sign BUNDLE --signing-key KEY.pem`: (re-)sign a stamped bundle with OPA's `.signatures.json`. */
import { resolve } from "node:path";
import type { Argv } from "yargs";
import { signBundleArchive } from "../../src/bundle/sign-archive.js";
import { parseSigningAlgorithm, readSigningKey } from "../../src/bundle/signing.js";
import type { CliIo } from "../io.js";

/** The signing flags `build` and `sign` share. */
export function signingOptions(y: Argv, required: boolean): Argv {
  return y
    .option("signing-key", { type: "string", demandOption: required, describe: "PEM private key (PKCS#8) or JWK that signs the bundle (OPA's .signatures.json)" })
    .option("signing-alg", { type: "string", default: "RS256", describe: "RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512" })
    .option("key-id", { type: "string", default: "default", describe: "key id in the signature (kid); the gateway picks its verification key by it" })
    .option("scope", { type: "string", describe: "scope claim of the signature (OPA's verification scope)" });
}

export interface SigningArgs {
  signingKey?: string;
  signingAlg: string;
  keyId: string;
  scope?: string;
}

export function signCommand(io: CliIo) {
  return {
    command: "sign <bundle>",
    describe: "sign a stamped bundle (replacing any signature) so gateways with bundle_signing keys accept it",
    builder: (y: Argv) =>
      signingOptions(y.positional("bundle", { type: "string", demandOption: true }), true)
        .option("output", { alias: "o", type: "string", describe: "write the signed bundle here (default: in place)" })
        .option("format", { choices: ["pretty", "json"] as const, default: "pretty" as const }),
    handler: async (argv: SigningArgs & { bundle: string; output?: string; format: "pretty" | "json" }) => {
      const signer = await readSigningKey(argv.signingKey!, parseSigningAlgorithm(argv.signingAlg), argv.keyId);
      const result = await signBundleArchive(argv.bundle, resolve(argv.output ?? argv.bundle), signer, argv.scope !== undefined ? { scope: argv.scope } : {});
      if (argv.format === "json") io.out(JSON.stringify(result));
      else io.out(`signed ${result.output}\nhash ${result.hash}\nkey ${result.keyId} (${result.algorithm}), ${result.files.length} files`);
      return 0 as const;
    },
  };
}
