/** @module `mcpgov eval --bundle B --input ENVELOPE.json [--verification-key PUB.pem]`. */
import type { Argv } from "yargs";
import { readBundle } from "../../src/bundle/bundle.js";
import { WasmPolicyEngine } from "../../src/engine/wasm-engine.js";
import { parseJsonText, readJsonFile } from "../../src/json-input.js";
import { formatDecision } from "../../src/report/decision-report.js";
import { type CliIo, pathOnly } from "../io.js";

interface EvalArgs {
  bundle: string;
  input: string;
  format: "pretty" | "json";
  verificationKey?: string;
  verificationKeyId?: string;
  signingAlg: string;
  scope?: string;
}

export function evalCommand(io: CliIo) {
  return {
    command: "eval",
    describe: "decide one envelope with a bundle and print the decision",
    builder: (y: Argv) =>
      y
        .option("bundle", { alias: "b", type: "string", nargs: 1, demandOption: true, describe: "stamped bundle (.tar.gz)" })
        // nargs: 1 lets `--input -` take "-" as its value (yargs otherwise reads it as an option-like word).
        .option("input", { alias: "i", type: "string", nargs: 1, demandOption: true, describe: "envelope JSON file, or - for stdin" })
        .option("verification-key", { type: "string", describe: "PEM public key (SPKI) or JWK: refuse the bundle unless it is signed by it" })
        .option("verification-key-id", { type: "string", describe: "key id the signature must name (default: any)" })
        .option("signing-alg", { type: "string", default: "RS256", describe: "algorithm of the verification key" })
        .option("scope", { type: "string", describe: "scope the signature must carry" })
        .option("format", { choices: ["pretty", "json"] as const, default: "pretty" as const }),
    handler: async (argv: EvalArgs) => {
      pathOnly(argv.bundle, "--bundle");
      const envelope = argv.input === "-" ? parseJsonText(await io.stdin(), "<stdin>") : await readJsonFile(argv.input);
      const bundle = await readBundle(argv.bundle);
      if (argv.verificationKey !== undefined) {
        // jose loads only when a signature is checked: plain eval starts faster without it.
        const { parseSigningAlgorithm, readVerificationKey, verifyBundleSignature } = await import("../../src/bundle/signing.js");
        const id = argv.verificationKeyId ?? "default";
        const key = await readVerificationKey({ id, public_key_file: argv.verificationKey, algorithm: parseSigningAlgorithm(argv.signingAlg) });
        await verifyBundleSignature(argv.bundle, bundle.files, {
          keys: [key],
          required: true,
          scope: argv.scope,
          // Without an id, the one key given verifies whatever key id the signature names.
          ...(argv.verificationKeyId === undefined ? { keyId: id } : {}),
        });
      }
      const engine = await WasmPolicyEngine.fromBundle(bundle);
      io.out(formatDecision(engine.decide(envelope), argv.format));
      return 0 as const;
    },
  };
}
