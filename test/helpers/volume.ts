/** @module A full disk for tests: fills a (small tmpfs) folder to its last byte. */
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Writes a filler file into `dir` until the file system says ENOSPC; returns its path (remove it to free the space). */
export function fillVolume(dir: string): string {
  const filler = join(dir, "filler");
  const fd = openSync(filler, "w");
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  return filler;
}
