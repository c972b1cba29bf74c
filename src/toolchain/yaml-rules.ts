/** @module YAML rule files (the seed's format) as bundle data. Placeholder until the YAML source lands. */

/**
 * Turns YAML rule files found in `policyDir` into bundle data inside
 * `stageDir`. Returns staged path → original file, for diagnostics.
 */
export async function stageYamlRules(_policyDir: string, _stageDir: string): Promise<Map<string, string>> {
  return new Map();
}
