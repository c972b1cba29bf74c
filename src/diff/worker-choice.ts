/**
 * @module How many worker threads a diff uses when the user does not say.
 * Workers start cold: each loads both bundles and its code warms up while
 * it runs (about 0.35 s of CPU, then slower evaluations for a while), so
 * they pay only on a large corpus. Measured on the 2-core bench machine
 * (npm run bench -- diff, interleaved): at 20,000 envelopes (17 MB) two
 * workers were 0.4–0.6× the in-process speed, at 100,000 (85 MB) 1.4×.
 */

/** Corpus size from which workers are used by default: between the two measured points, nearer the losing one's double. */
export const AUTO_WORKERS_BYTES = 48 * 1024 * 1024;

/** Workers for a corpus of `corpusBytes` on `cores` cores: none below AUTO_WORKERS_BYTES or on one core, else one per core up to 4. */
export function autoDiffWorkers(corpusBytes: number, cores: number): number {
  if (cores < 2 || corpusBytes < AUTO_WORKERS_BYTES) return 0;
  return Math.min(4, cores);
}
