/**
 * @module Building blocks every part of the gateway config shares:
 * environment variable names, paths, tags, where a secret comes from, and
 * what counts as a loopback host.
 */
import { z } from "zod";

export const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name");
export const Tag = z.string().min(1);
export const PathSchema = z.string().min(1);

/**
 * Where a value comes from: a literal string, an environment variable of
 * the gateway, a file (its content, with one trailing line break removed),
 * or a path (the value is the path made absolute against the config file's folder).
 */
export const SecretSourceSchema = z.union([
  z.string(),
  z.strictObject({ from_env: EnvNameSchema.describe("An environment variable of the gateway holding the value.") }),
  z.strictObject({ from_file: PathSchema.describe("A file holding the value (one trailing line break removed).") }),
  z.strictObject({ path: PathSchema.describe("The value is this path, made absolute against the config file's folder.") }),
]);
export type SecretSource = z.infer<typeof SecretSourceSchema>;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}
