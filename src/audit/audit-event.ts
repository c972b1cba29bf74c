/**
 * @module Appending an event record (an approval step, a review step, a pin
 * violation…) so that a failure is never silent: it is logged and counted
 * (mcpgov_audit_event_write_failures_total), then thrown on to the caller,
 * which decides whether its step may go on without the record.
 */
import { buildEventEntry, type EventEntryParts, type EventRecord } from "../core/audit-record.js";
import { describeThrown } from "../core/errors.js";
import type { Logger } from "../logger.js";
import type { AuditStore } from "./audit-store.js";

/** Where failed event writes are counted (a prom-client Counter with an `event` label fits). */
export interface EventFailureCounter {
  inc(labels: { event: string }): void;
}

export interface EventSink {
  audit: AuditStore;
  logger: Logger;
  failures?: EventFailureCounter;
}

/** Appends the event; on failure logs it (ids, never details) and counts it, then rethrows. */
export async function appendEvent(sink: EventSink, parts: EventEntryParts): Promise<EventRecord> {
  try {
    return await sink.audit.append(buildEventEntry(parts));
  } catch (error) {
    sink.failures?.inc({ event: parts.event });
    const ids = {
      ...(parts.callId ? { call_id: parts.callId } : {}),
      ...(parts.approvalId ? { approval_id: parts.approvalId } : {}),
      ...(parts.quarantineId ? { quarantine_id: parts.quarantineId } : {}),
    };
    sink.logger.error({ event: parts.event, ...ids, error: describeThrown(error) }, "audit event not recorded");
    throw error;
  }
}
