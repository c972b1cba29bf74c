/**
 * @module Pulls bundles from a server speaking OPA's bundle-service
 * protocol: `GET <url>` with `If-None-Match: <etag>`; 304 keeps the active
 * bundle, 200 hands the bytes to the BundleManager (stamp and signature
 * verified there, swapped between calls). With long polling configured the
 * request carries `Prefer: wait=<sec>`; a server that answers with
 * `Content-Type: application/vnd.openpolicyagent.bundles` holds requests
 * until the bundle changes, so the next poll starts at once; any other
 * server is polled every poll_min_sec..poll_max_sec.
 *
 * Nothing here can take the active bundle away: a download error, a server
 * that is down or a refused bundle leaves the last good one serving.
 */
import { LONG_POLL_CONTENT_TYPE } from "../bundle/bundle-server.js";
import { describeThrown, type ErrorCode, McpgovError } from "../core/errors.js";
import type { BundleSourceConfig } from "../core/gateway-config.js";
import type { Logger } from "../logger.js";

const BUNDLE_FAULTS = new Set<ErrorCode>(["bundle_invalid", "bundle_tampered", "bundle_unstamped"]);


export type PollOutcome =
  | { kind: "not_modified" }
  | { kind: "activated"; etag: string | undefined }
  | { kind: "refused"; reason: string }
  | { kind: "failed"; reason: string };

export interface BundlePollerOptions {
  source: BundleSourceConfig;
  /** Verifies and activates a downloaded bundle; throws when it is refused. */
  activate(bytes: Uint8Array, source: string): Promise<unknown>;
  /** Every poll's outcome: for metrics and logs. */
  onOutcome?(outcome: PollOutcome): void;
  fetch?: typeof fetch;
}

export class BundlePoller {
  private etag: string | undefined;
  private longPolling = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly options: BundlePollerOptions) {}

  /** The ETag of the last bundle downloaded (activated or refused). */
  get currentEtag(): string | undefined {
    return this.etag;
  }

  /** One request; never throws. */
  async pollOnce(): Promise<PollOutcome> {
    const { source } = this.options;
    const headers: Record<string, string> = { accept: `application/gzip, ${LONG_POLL_CONTENT_TYPE}` };
    if (this.etag !== undefined) headers["if-none-match"] = this.etag;
    const wait = source.long_poll_timeout_sec;
    if (wait !== undefined) headers["prefer"] = `wait=${wait}`;
    const controller = new AbortController();
    this.inFlight = controller;
    const timeout = setTimeout(() => controller.abort(new Error("bundle download timed out")), (source.request_timeout_sec + (wait ?? 0)) * 1000);
    let outcome: PollOutcome;
    try {
      const response = await (this.options.fetch ?? fetch)(source.url, { headers, signal: controller.signal });
      this.longPolling = wait !== undefined && (response.headers.get("content-type") ?? "").startsWith(LONG_POLL_CONTENT_TYPE);
      if (response.status === 304) {
        await response.body?.cancel();
        outcome = { kind: "not_modified" };
      } else if (response.status !== 200) {
        await response.body?.cancel();
        outcome = { kind: "failed", reason: `${source.url} answered HTTP ${response.status}` };
      } else {
        const bytes = new Uint8Array(await response.arrayBuffer());
        const etag = response.headers.get("etag") ?? undefined;
        outcome = await this.activate(bytes, etag);
      }
    } catch (error) {
      this.longPolling = false;
      outcome = { kind: "failed", reason: `${source.url}: ${describeThrown(error instanceof Error && error.cause ? error.cause : error)}` };
    } finally {
      clearTimeout(timeout);
      this.inFlight = undefined;
    }
    this.options.onOutcome?.(outcome);
    return outcome;
  }

  private async activate(bytes: Uint8Array, etag: string | undefined): Promise<PollOutcome> {
    try {
      await this.options.activate(bytes, `poll ${this.options.source.url}`);
      this.etag = etag;
      return { kind: "activated", etag };
    } catch (error) {
      // A bundle refused for what it is (stamp, signature, content) would be refused again: remember its ETag
      // so the same bytes are not fetched and refused on every poll. Anything else is tried again.
      if (error instanceof McpgovError && BUNDLE_FAULTS.has(error.code)) this.etag = etag;
      return { kind: "refused", reason: describeThrown(error) };
    }
  }

  /** Polls until stop(): at once on start, then as the server allows. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      this.running = this.pollOnce().then((outcome) => {
        // A long-polling server held the request until something changed or its wait ran out: ask again at once.
        // One that answers "not modified" without holding gets the periodic delay, so it is never polled in a loop.
        const held = outcome.kind === "activated" || Date.now() - started >= 1000;
        this.schedule(this.longPolling && outcome.kind !== "failed" && held ? 0 : this.nextDelayMs());
      });
    }, delayMs);
    this.timer.unref();
  }

  private nextDelayMs(): number {
    const { poll_min_sec: min, poll_max_sec: max } = this.options.source;
    return Math.round((min + Math.random() * (max - min)) * 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.inFlight?.abort(new Error("bundle poller stopped"));
    await this.running;
  }
}

/**
 * The gateway's poller: activates through the BundleManager (whose
 * onRefused logs, counts and audits a refusal) and logs and counts failed
 * downloads as `mcpgov_bundle_swaps_total{result="fetch_failed"}`.
 */
export function startBundlePolling(
  source: BundleSourceConfig,
  bundles: { swapFromBytes(bytes: Uint8Array, source: string): Promise<unknown> },
  deps: { logger: Logger; metrics: { bundleSwaps: { inc(labels: { result: string }): void } } },
): BundlePoller {
  const poller = new BundlePoller({
    source,
    activate: (bytes, from) => bundles.swapFromBytes(bytes, from),
    onOutcome: (outcome) => {
      if (outcome.kind === "failed") {
        deps.metrics.bundleSwaps.inc({ result: "fetch_failed" });
        deps.logger.warn({ url: source.url, reason: outcome.reason }, "bundle download failed; the active bundle stays");
      } else if (outcome.kind === "activated") {
        deps.logger.debug({ url: source.url, etag: outcome.etag }, "bundle downloaded");
      }
    },
  });
  poller.start();
  return poller;
}
