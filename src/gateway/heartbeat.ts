/**
 * @module The gateway's heartbeat: every `fleet.heartbeat_sec` and on every
 * bundle swap it writes (gateway id, active bundle, now) to the shared
 * state store, and removes its row when it stops cleanly. Approvals read
 * the fleet's fresh heartbeats (within three intervals) before voiding a
 * request, so a rolling bundle update does not void what another gateway
 * can still honour.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { FleetView } from "../approvals/approval-service.js";
import type { HeartbeatStore } from "../approvals/heartbeat-store.js";
import { describeThrown } from "../core/errors.js";
import type { BundleRef } from "../core/decision.js";
import type { Logger } from "../logger.js";

/** A heartbeat older than this many intervals no longer counts: two may be lost before a gateway is taken for gone. */
export const FRESH_INTERVALS = 3;

export interface HeartbeatOptions {
  store: HeartbeatStore;
  gatewayId: string;
  intervalMs: number;
  bundle: () => BundleRef;
  clock: () => Date;
  logger: Logger;
}

/** The configured id, else one made for this process (host, pid, random), stable while it runs. */
export function gatewayIdFor(configured: string | undefined): string {
  return configured ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

export class GatewayHeartbeat implements FleetView {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  /** The hash last written, and when (this process's monotonic-enough clock). */
  private written: { hash: string; atMs: number } | undefined;

  constructor(private readonly options: HeartbeatOptions) {}

  get gatewayId(): string {
    return this.options.gatewayId;
  }

  get freshMs(): number {
    return FRESH_INTERVALS * this.options.intervalMs;
  }

  /** Writes this gateway's row now; beats never overlap, so the last one written names the bundle active last. */
  beat(): Promise<void> {
    const next = this.beating.then(async () => {
      const bundle = this.options.bundle();
      await this.options.store.beat({ gatewayId: this.options.gatewayId, bundle, at: this.options.clock().toISOString() });
      this.written = { hash: bundle.hash, atMs: Date.now() };
    });
    this.beating = next.catch(() => undefined);
    return next;
  }

  /** Beats unless the store already says, freshly, that this gateway runs its active bundle. */
  async announce(): Promise<void> {
    const written = this.written;
    if (written && written.hash === this.options.bundle().hash && Date.now() - written.atMs < this.options.intervalMs) return;
    await this.beat();
  }

  async bundlesInUse(): Promise<ReadonlySet<string>> {
    const inUse = await this.options.store.bundlesInUse({ freshMs: this.freshMs, now: this.options.clock().toISOString() });
    inUse.add(this.options.bundle().hash);
    return inUse;
  }

  /** The first beat, then one per interval; a failed beat is logged and the next one tries again. */
  async start(): Promise<void> {
    const beat = () => this.beat().catch((error: unknown) => this.options.logger.error({ error: describeThrown(error) }, "heartbeat failed"));
    await beat();
    this.timer ??= setInterval(() => void beat(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops beating and removes this gateway's row (a killed gateway's row just ages out). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.options.store.leave(this.options.gatewayId).catch((error: unknown) => this.options.logger.warn({ error: describeThrown(error) }, "heartbeat row not removed"));
  }
}
