// npm postinstall: in an installed package (dist/ shipped in the tarball), make
// the OPA CLI available if it can (see dist/scripts/install-opa.js); never fails
// the install. In a source checkout dist/ does not exist yet and `prepare`
// (which builds, then runs the same step) takes care of it.
import { existsSync } from "node:fs";

const step = new URL("../dist/scripts/install-opa.js", import.meta.url);
if (existsSync(step)) {
  process.argv.push("--never-fail");
  try {
    await import(step.href);
  } catch (error) {
    process.stderr.write(`mcpgov: skipped making OPA available (${error instanceof Error ? error.message : String(error)}); \`mcpgov build\` will say what to install\n`);
  }
  process.exitCode = 0;
}
