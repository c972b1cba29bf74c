/** @module `mcpgov hash BUNDLE`: recompute the content hash and check the stamp. */
import type { Argv } from "yargs";
import { assertStampMatches, readBundle } from "../../src/bundle/bundle.js";
import { type CliIo, pathOnly } from "../io.js";

export function hashCommand(io: CliIo) {
  return {
    command: "hash <bundle>",
    describe: "print a bundle's content hash; fail if it does not match the bundle's stamp",
    builder: (y: Argv) => y.positional("bundle", { type: "string", demandOption: true }),
    handler: async (argv: { bundle: string }) => {
      pathOnly(argv.bundle, "BUNDLE");
      const bundle = await readBundle(argv.bundle);
      io.out(bundle.hash);
      assertStampMatches(bundle);
      return 0 as const;
    },
  };
}
