/**
 * @module The head policy's sources for `mcpgov diff --parity`: OPA's
 * topdown runs on the Rego, so a bundle file (which does not carry its
 * sources yet) needs the folder it was built from, --head-policy.
 */
import { stat } from "node:fs/promises";
import { McpgovError } from "../core/errors.js";
import { stagePolicy } from "../toolchain/stage.js";
import { startTopdown, type TopdownEvaluator } from "../toolchain/topdown.js";

const isDirectory = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );

/** The policy folder to run topdown on: --head-policy, else --head when it is a folder. */
export async function parityPolicyDir(head: string, headPolicy: string | undefined): Promise<string> {
  if (headPolicy !== undefined) {
    if (!(await isDirectory(headPolicy))) throw new McpgovError("usage", `--head-policy ${headPolicy} is not a policy folder`);
    return headPolicy;
  }
  if (await isDirectory(head)) return head;
  throw new McpgovError("usage", "--parity needs the head policy's sources: give --head as a policy folder, or --head-policy DIR with the folder the bundle was built from");
}

/** Stages the folder and starts topdown on it; close() stops it and removes the staging. */
export async function openTopdown(policyDir: string): Promise<{ topdown: TopdownEvaluator; close(): Promise<void> }> {
  const staged = await stagePolicy(policyDir);
  try {
    const topdown = await startTopdown(staged.dir);
    return {
      topdown,
      close: async () => {
        await topdown.close();
        await staged.cleanup();
      },
    };
  } catch (error) {
    await staged.cleanup();
    throw error;
  }
}
