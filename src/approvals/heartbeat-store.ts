/**
 * @module The HeartbeatStore role: which bundles the gateways sharing a
 * state store are running. Each gateway announces its active bundle every
 * few seconds and on every swap; a bundle counts as in use while some
 * gateway's announcement of it is fresh. Approvals read it before voiding a
 * request: a request is void only when no live gateway can still honour it.
 */
import type { BundleRef } from "../core/decision.js";

export interface Heartbeat {
  gatewayId: string;
  bundle: BundleRef;
  /** The announcing gateway's clock; PostgreSQL stores use the server's clock instead, so skewed hosts agree. */
  at: string;
}

export interface GatewayPresence {
  gateway_id: string;
  bundle_hash: string;
  bundle_revision: string;
  last_seen: string;
}

export interface HeartbeatStore {
  /** Inserts or replaces this gateway's row. */
  beat(heartbeat: Heartbeat): Promise<void>;
  /** Bundle hashes announced within `freshMs` before `now` (PostgreSQL: before its own now()). */
  bundlesInUse(window: { freshMs: number; now: string }): Promise<Set<string>>;
  /** Every gateway's last announcement, newest first. */
  gateways(): Promise<GatewayPresence[]>;
  /** A gateway that stops cleanly removes its row, so its bundle stops counting at once. */
  leave(gatewayId: string): Promise<void>;
}
