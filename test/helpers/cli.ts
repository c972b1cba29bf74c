/** @module Runs the CLI in-process with captured output, and spawns the built binary when a real process matters. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { CliIo } from "../../cli/io.js";
import { run } from "../../cli/run.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], options: { env?: Record<string, string | undefined>; stdin?: string } = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    out: (text) => void (stdout += text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => void (stderr += text.endsWith("\n") ? text : `${text}\n`),
    stdin: async () => options.stdin ?? "",
    env: options.env ?? {},
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

export const repoRoot = join(import.meta.dirname, "..", "..");

/** Spawns `node bin/mcpgov.js` (needs `npm run build`). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = process.env): CliResult {
  const result = spawnSync(process.execPath, [join(repoRoot, "bin", "mcpgov.js"), ...args], { env, encoding: "utf8", cwd: repoRoot });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
