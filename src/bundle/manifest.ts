/** @module The bundle's .manifest: OPA's fields plus the mcpgov stamp under metadata.mcpgov. */
import { z } from "zod";
import { type InputPaths, InputPathsSchema } from "../core/input-projection.js";

export const STAMP_KEY = "content_hash";

/** The data roots an mcpgov bundle owns: every package and every data key lives under data.mcpgov. */
export const MCPGOV_ROOTS: readonly string[] = ["mcpgov"];

export const WasmEntrypointSchema = z.object({ entrypoint: z.string(), module: z.string() }).passthrough();
export type WasmEntrypoint = z.infer<typeof WasmEntrypointSchema>;

export const ManifestSchema = z
  .object({
    revision: z.string().default(""),
    roots: z.array(z.string()).optional(),
    wasm: z.array(WasmEntrypointSchema).optional(),
    rego_version: z.number().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
export type Manifest = z.infer<typeof ManifestSchema>;

/**
 * The WASM module of each entrypoint. mcpgov records them at
 * metadata.mcpgov.wasm rather than in OPA's `wasm` field: with that field
 * OPA insists on serving the entrypoints from the module and refuses the
 * bundle when it has no WASM engine (as `go install` and the static builds
 * do), where the Rego beside the module serves them just as well. Bundles
 * from `opa build`, and mcpgov's before it, use OPA's field; both are read.
 */
export function wasmEntrypointsOf(manifest: Manifest): WasmEntrypoint[] {
  const ours = manifest.metadata?.["mcpgov"];
  const recorded = ours && typeof ours === "object" ? (ours as Record<string, unknown>)["wasm"] : undefined;
  const parsed = z.array(WasmEntrypointSchema).safeParse(recorded);
  return parsed.success ? parsed.data : (manifest.wasm ?? []);
}

/** Where mcpgov records, per entrypoint, the input paths its policy reads (see src/core/input-projection.ts). */
export const INPUT_PATHS_KEY = "input_paths";

/**
 * The input paths the policy of `entrypoint` reads, as `mcpgov build`
 * recorded them; `true` (all of the input) when the bundle records none
 * (older bundles, raw `opa build` output). A record that is not a path
 * tree refuses the bundle: guessing could hide input a rule reads.
 */
export function inputPathsOf(manifest: Manifest, entrypoint: string): { paths: InputPaths } | { error: string } {
  const ours = manifest.metadata?.["mcpgov"];
  const recorded = ours && typeof ours === "object" ? (ours as Record<string, unknown>)[INPUT_PATHS_KEY] : undefined;
  if (recorded === undefined) return { paths: true };
  const all = z.record(z.string(), InputPathsSchema).safeParse(recorded);
  if (!all.success) return { error: `metadata.mcpgov.${INPUT_PATHS_KEY} is not a map of entrypoint to input path tree` };
  return { paths: Object.prototype.hasOwnProperty.call(all.data, entrypoint) ? all.data[entrypoint]! : true };
}

export function stampOf(manifest: Manifest): string | undefined {
  const ours = manifest.metadata?.["mcpgov"];
  if (ours && typeof ours === "object" && STAMP_KEY in ours) {
    const value = (ours as Record<string, unknown>)[STAMP_KEY];
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}

/** The manifest as the hash sees it: the stamp removed, nothing else touched. */
export function withoutStamp(manifest: Record<string, unknown>): Record<string, unknown> {
  const metadata = manifest["metadata"];
  if (!metadata || typeof metadata !== "object") return manifest;
  const ours = (metadata as Record<string, unknown>)["mcpgov"];
  if (!ours || typeof ours !== "object") return manifest;
  const { [STAMP_KEY]: _stamp, ...rest } = ours as Record<string, unknown>;
  const { mcpgov: _ours, ...otherMetadata } = metadata as Record<string, unknown>;
  // Stamping adds metadata.mcpgov (and metadata itself when absent); drop
  // them again when empty so that a bundle hashes the same before and after.
  const nextMetadata = Object.keys(rest).length > 0 ? { ...otherMetadata, mcpgov: rest } : otherMetadata;
  const { metadata: _metadata, ...otherFields } = manifest;
  return Object.keys(nextMetadata).length > 0 ? { ...otherFields, metadata: nextMetadata } : otherFields;
}

export function withStamp(manifest: Record<string, unknown>, hash: string): Record<string, unknown> {
  const metadata = (manifest["metadata"] as Record<string, unknown> | undefined) ?? {};
  const ours = (metadata["mcpgov"] as Record<string, unknown> | undefined) ?? {};
  return { ...manifest, metadata: { ...metadata, mcpgov: { ...ours, [STAMP_KEY]: hash } } };
}
