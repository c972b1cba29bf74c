/**
 * @module Progress of long work, on stderr so stdout stays the result.
 *
 * On a terminal: one line rewritten in place (at most every 100 ms) and
 * cleared at the end. Otherwise (CI logs, pipes): a count line every
 * interval — 5 s, or MCPGOV_PROGRESS_INTERVAL_MS — so a log shows the run
 * is alive without a line per item, and a run shorter than that prints
 * nothing. `--quiet` says nothing.
 */
import type { CliIo } from "./io.js";

export interface Progress {
  /** `done` items so far (of `total`, when known). */
  update(done: number, total?: number): void;
  /** A stage starting ("building the bundle"): shown at once, in either form. */
  stage(text: string): void;
  /** The work is over: clears the terminal line; a log gets the final count. */
  end(): void;
}

const silent: Progress = { update: () => undefined, stage: () => undefined, end: () => undefined };

export interface ProgressOptions {
  quiet?: boolean;
  /** What is counted, plural: "envelopes". */
  unit: string;
  now?: () => number;
}

export function createProgress(io: CliIo, label: string, options: ProgressOptions): Progress {
  if (options.quiet) return silent;
  const now = options.now ?? Date.now;
  const started = now();
  const terminal = io.tty?.stderr === true && io.errRaw !== undefined;
  const configured = Number(io.env["MCPGOV_PROGRESS_INTERVAL_MS"] ?? Number.NaN);
  // A missing or unreadable value is the default pace, never silence.
  const interval = terminal ? 100 : Number.isFinite(configured) && configured >= 0 ? configured : 5_000;
  let last = started;
  let latest: { done: number; total?: number } | undefined;
  let lineShown = false;
  let ended = false;
  let currentStage: string | undefined;
  // Without a terminal a stage is not printed at once (a fast run stays silent); a stage that
  // lasts a whole interval without a count line is reported by this timer. unref: it never keeps the process alive.
  const timer = terminal
    ? undefined
    : setInterval(() => {
        if (currentStage !== undefined && now() - last >= interval) {
          last = now();
          io.err(`mcpgov ${label}: ${currentStage} (${seconds()})`);
        }
      }, Math.max(interval, 1_000));
  timer?.unref();
  const seconds = () => `${((now() - started) / 1000).toFixed(0)}s`;
  const text = (done: number, total?: number) => `mcpgov ${label}: ${done.toLocaleString("en-US")}${total !== undefined ? `/${total.toLocaleString("en-US")}` : ""} ${options.unit} (${seconds()})`;
  const show = (line: string) => {
    if (terminal) {
      io.errRaw!(`\r\u001b[2K${line}`);
      lineShown = true;
    } else io.err(line);
  };
  return {
    update(done, total) {
      currentStage = undefined;
      latest = total === undefined ? { done } : { done, total };
      if (now() - last < interval) return;
      last = now();
      show(text(done, total));
    },
    stage(line) {
      currentStage = line;
      if (terminal) show(`mcpgov ${label}: ${line}`);
    },
    end() {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      if (terminal) {
        if (lineShown) io.errRaw!("\r\u001b[2K");
      } else if (latest && now() - started >= interval) io.err(`${text(latest.done, latest.total)}, done`);
    },
  };
}

/** Passes the items through, counting them into the progress. */
export async function* counted<T>(items: AsyncIterable<T>, progress: Progress, total?: number): AsyncGenerator<T> {
  let done = 0;
  for await (const item of items) {
    yield item;
    progress.update(++done, total);
  }
}
