/**
 * @module Ships decision-log events to a collector as OPA's decision-log
 * plugin does: `POST {url}{resource}`, a gzipped JSON array per batch,
 * every min..max delay, from a bounded buffer. A feed for SIEMs, never
 * evidence: offering a record never waits, throws or fails a call, and
 * every event that is not shipped is counted by reason.
 */
import { resolve } from "node:path";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { CallRecord } from "../core/audit-record.js";
import type { DecisionLogsConfig } from "../core/gateway-config.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import { toDecisionLogEvent } from "../audit/decision-log.js";
import { resolveSecretMap } from "../config/secrets.js";
import type { Logger } from "../logger.js";
import type { GatewayMetrics } from "./metrics.js";

const gzip = promisify(gzipCallback);

/** Where the record stage hands each durable call record. */
export interface DecisionLogSink {
  /** Takes the record for shipping; returns at once and never throws. */
  offer(record: CallRecord): void;
  /** Uploads what fits within shutdown_flush_ms, counts the rest as dropped, stops. */
  close(): Promise<void>;
}

export type DropReason = "buffer_full" | "too_large" | "shutdown" | "error";

export interface ShipperDeps {
  labels: Record<string, string>;
  metrics: Pick<GatewayMetrics, "decisionLogsSent" | "decisionLogsDropped" | "decisionLogsUploadFailures" | "decisionLogsBuffered">;
  logger: Logger;
  /** Resolved header values (secrets included); never logged. */
  headers?: Record<string, string>;
  /** For tests: 0..1, picks the delay between min and max. */
  random?: () => number;
}

/**
 * Resolves the header secrets once at start (a missing one stops the
 * gateway), files against the config's folder, then builds the shipper.
 */
export async function startDecisionLogShipper(
  config: DecisionLogsConfig,
  source: { env: Record<string, string | undefined>; configDir: string },
  deps: Omit<ShipperDeps, "headers">,
): Promise<HttpDecisionLogShipper> {
  const sources = Object.fromEntries(Object.entries(config.headers).map(([name, ref]) => [name, "from_file" in ref ? { from_file: resolve(source.configDir, ref.from_file) } : ref]));
  const headers = await resolveSecretMap(sources, "decision_logs.headers", source.env);
  if (config.bearer_token_env !== undefined) {
    const token = source.env[config.bearer_token_env];
    if (!token) throw new McpgovError("config_invalid", `decision_logs.bearer_token_env: environment variable ${config.bearer_token_env} is not set`);
    headers["authorization"] = `Bearer ${token}`;
  }
  return new HttpDecisionLogShipper(config, { ...deps, headers });
}

export class HttpDecisionLogShipper implements DecisionLogSink {
  private readonly endpoint: string;
  /** The endpoint without credentials or query, for log lines. */
  private readonly shownEndpoint: string;
  private buffer: CallRecord[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private uploading: Promise<void> | undefined;
  private failures = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly stop = new AbortController();

  constructor(
    private readonly config: DecisionLogsConfig,
    private readonly deps: ShipperDeps,
  ) {
    const url = new URL(config.url);
    url.pathname = `${url.pathname.replace(/\/$/, "")}${config.resource}`;
    this.endpoint = url.href;
    this.shownEndpoint = `${url.origin}${url.pathname}`;
  }

  offer(record: CallRecord): void {
    try {
      if (this.closed) return this.drop("shutdown", 1);
      this.buffer.push(record);
      const over = this.buffer.length - this.config.buffer_size_limit_events;
      // The oldest give way: during an outage the newest decisions are the ones a SIEM is missing now, and the chain keeps them all.
      if (over > 0) {
        this.buffer.splice(0, over);
        this.drop("buffer_full", over);
      }
      this.gauge();
      if (this.timer === undefined && this.uploading === undefined) this.schedule(this.delayMs());
    } catch (error) {
      this.drop("error", 1);
      this.deps.logger.error({ error: describeThrown(error) }, "decision log: could not take a record");
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    let deadline: NodeJS.Timeout | undefined;
    const timeUp = new Promise<void>((resolve) => (deadline = setTimeout(resolve, this.config.shutdown_flush_ms)));
    const flush = (async () => {
      await this.uploading;
      while (this.buffer.length > 0 && !this.stop.signal.aborted) if (!(await this.uploadBatch())) break;
    })();
    await Promise.race([flush, timeUp]);
    clearTimeout(deadline);
    // Past the deadline an upload in flight is cut off; what it held goes back to the buffer and is counted below.
    this.stop.abort();
    await flush;
    this.drop("shutdown", this.buffer.length);
    this.buffer = [];
    this.gauge();
  }

  private delayMs(): number {
    const { min_delay_sec: min, max_delay_sec: max } = this.config;
    return (min + (this.deps.random ?? Math.random)() * (max - min)) * 1000;
  }

  /** After failures: doubling from min_delay_sec, capped at max_delay_sec. */
  private backoffMs(): number {
    return Math.min(this.config.max_delay_sec, this.config.min_delay_sec * 2 ** (this.failures - 1)) * 1000;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.uploading = this.drain().finally(() => {
        this.uploading = undefined;
        // A record offered while the last batch was on its way found an upload running and scheduled nothing.
        if (this.buffer.length > 0 && this.timer === undefined) this.schedule(this.delayMs());
      });
    }, ms);
    this.timer.unref();
  }

  /** Uploads batches until the buffer is empty or an upload fails (then retries after a backoff). */
  private async drain(): Promise<void> {
    while (this.buffer.length > 0 && !this.closed) {
      if (!(await this.uploadBatch())) {
        this.schedule(this.backoffMs());
        return;
      }
    }
  }

  /** Takes one batch off the front, uploads it; on failure puts it back (the bound still holds). */
  private async uploadBatch(): Promise<boolean> {
    const { records, body } = this.takeBatch();
    if (records.length === 0) return true;
    this.inFlight = records.length;
    this.gauge();
    let ok = false;
    try {
      ok = await this.post(body);
    } finally {
      this.inFlight = 0;
      if (ok) {
        this.failures = 0;
        this.deps.metrics.decisionLogsSent.inc(records.length);
      } else {
        this.failures++;
        this.buffer.unshift(...records);
        const over = this.buffer.length - this.config.buffer_size_limit_events;
        if (over > 0) {
          this.buffer.splice(0, over);
          this.drop("buffer_full", over);
        }
      }
      this.gauge();
    }
    return ok;
  }

  /** Events from the front of the buffer whose JSON array fits max_batch_bytes; one that never fits is dropped. */
  private takeBatch(): { records: CallRecord[]; body: string } {
    const parts: string[] = [];
    let bytes = 2;
    let taken = 0;
    while (taken < this.buffer.length) {
      let json: string;
      try {
        json = JSON.stringify(toDecisionLogEvent(this.buffer[taken]!, this.deps.labels));
      } catch (error) {
        this.deps.logger.error({ error: describeThrown(error) }, "decision log: could not encode a record");
        this.buffer.splice(taken, 1);
        this.drop("error", 1);
        continue;
      }
      const size = Buffer.byteLength(json) + (parts.length > 0 ? 1 : 0);
      if (bytes + size > this.config.max_batch_bytes) {
        if (parts.length > 0) break;
        this.buffer.splice(taken, 1);
        this.drop("too_large", 1);
        continue;
      }
      parts.push(json);
      bytes += size;
      taken++;
    }
    return { records: this.buffer.splice(0, taken), body: `[${parts.join(",")}]` };
  }

  private async post(body: string): Promise<boolean> {
    const fail = (kind: string, detail: Record<string, unknown>): false => {
      this.deps.metrics.decisionLogsUploadFailures.inc({ kind });
      this.deps.logger.warn({ endpoint: this.shownEndpoint, kind, ...detail }, "decision log upload failed; will retry");
      return false;
    };
    try {
      const response = await fetch(this.endpoint, {
        method: "POST",
        headers: { ...this.deps.headers, "content-type": "application/json", "content-encoding": "gzip" },
        body: await gzip(body),
        signal: AbortSignal.any([AbortSignal.timeout(this.config.timeout_ms), this.stop.signal]),
      });
      await response.body?.cancel().catch(() => undefined);
      return response.ok || fail("status", { status: response.status });
    } catch (error) {
      const name = (error as { name?: unknown } | undefined)?.name;
      return fail(this.stop.signal.aborted ? "shutdown" : name === "TimeoutError" ? "timeout" : "network", { error: describeThrown(error) });
    }
  }

  private drop(reason: DropReason, count: number): void {
    if (count > 0) this.deps.metrics.decisionLogsDropped.inc({ reason }, count);
  }

  private gauge(): void {
    this.deps.metrics.decisionLogsBuffered.set(this.buffer.length + this.inFlight);
  }
}
