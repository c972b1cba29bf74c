/**
 * @module A ratio over a sliding time window (hits over all, the last N
 * minutes), kept in one-minute buckets so memory stays fixed however many
 * events arrive. The gateway's quarantine-ratio gauge reads it: a ratio
 * since start would hide a bad hour behind a good week.
 */
const BUCKET_MS = 60_000;

export class SlidingRatio {
  private readonly hits: number[];
  private readonly totals: number[];
  private readonly minutes: number[];

  constructor(
    readonly windowMinutes: number,
    private readonly now: () => number = Date.now,
  ) {
    this.hits = new Array<number>(windowMinutes).fill(0);
    this.totals = new Array<number>(windowMinutes).fill(0);
    this.minutes = new Array<number>(windowMinutes).fill(-1);
  }

  private slot(): number {
    const minute = Math.floor(this.now() / BUCKET_MS);
    const index = minute % this.windowMinutes;
    if (this.minutes[index] !== minute) {
      // This slot last held a minute that has left the window.
      this.minutes[index] = minute;
      this.hits[index] = 0;
      this.totals[index] = 0;
    }
    return index;
  }

  record(hit: boolean): void {
    const index = this.slot();
    this.totals[index]! += 1;
    if (hit) this.hits[index]! += 1;
  }

  /** Hits over all events in the window; 0 when the window saw none. */
  ratio(): number {
    const current = Math.floor(this.now() / BUCKET_MS);
    let hits = 0;
    let total = 0;
    for (let i = 0; i < this.windowMinutes; i++) {
      if (current - this.minutes[i]! >= this.windowMinutes) continue;
      hits += this.hits[i]!;
      total += this.totals[i]!;
    }
    return total === 0 ? 0 : hits / total;
  }
}
