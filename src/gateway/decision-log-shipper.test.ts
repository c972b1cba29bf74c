import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { CallRecord } from "../core/audit-record.js";
import { DecisionLogsConfigSchema, type DecisionLogsConfig } from "../core/gateway-config.js";
import { silentLogger } from "../logger.js";
import { entryFor } from "../../test/helpers/audit-fixtures.js";
import { refusedUrl, startDecisionLogReceiver, type DecisionLogReceiver } from "../../test/helpers/decision-log-receiver.js";
import { HttpDecisionLogShipper, startDecisionLogShipper } from "./decision-log-shipper.js";
import { createMetrics, type GatewayMetrics } from "./metrics.js";

const LABELS = { id: "gw-test", version: "0.0.0-test" };
let receiver: DecisionLogReceiver | undefined;
let shipper: HttpDecisionLogShipper | undefined;
afterEach(async () => {
  await shipper?.close();
  await receiver?.close();
  shipper = receiver = undefined;
});

/** Sealed-looking call records; the hash differs per seq, as in a chain. */
function records(n: number, from = 1): CallRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const seq = from + i;
    const hash = `sha256:${createHash("sha256").update(String(seq)).digest("hex")}`;
    return { ...entryFor(`c-${seq}`), seq, prev_hash: hash, hash } as CallRecord;
  });
}

function configFor(url: string, over: Partial<DecisionLogsConfig> = {}): DecisionLogsConfig {
  return { ...DecisionLogsConfigSchema.parse({ url, min_delay_sec: 0.01, max_delay_sec: 0.05, shutdown_flush_ms: 1_000 }), ...over };
}

async function value(metrics: GatewayMetrics, name: "decisionLogsSent" | "decisionLogsDropped" | "decisionLogsUploadFailures" | "decisionLogsBuffered", labels: Record<string, string> = {}): Promise<number> {
  const samples = (await metrics[name].get()).values;
  return samples.filter((s) => Object.entries(labels).every(([k, v]) => (s.labels as Record<string, unknown>)[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

describe("HttpDecisionLogShipper", () => {
  it("POSTs gzipped JSON arrays to url + /logs, in batches under max_batch_bytes, with the token from the environment", async () => {
    receiver = await startDecisionLogReceiver();
    const metrics = createMetrics();
    shipper = await startDecisionLogShipper(configFor(receiver.url, { max_batch_bytes: 4_096, bearer_token_env: "DL_TOKEN" }), { env: { DL_TOKEN: "s3cret-token" }, configDir: "/" }, { labels: LABELS, metrics, logger: silentLogger });
    for (const record of records(10)) shipper.offer(record);
    await receiver.waitFor(10);
    const upload = receiver.uploads[0]!;
    expect(upload).toMatchObject({ method: "POST", path: "/logs" });
    expect(upload.headers).toMatchObject({ "content-type": "application/json", "content-encoding": "gzip", authorization: "Bearer s3cret-token" });
    // Each event is ~1.3 KB: a 4 KB batch holds a few, so 10 take several uploads.
    expect(receiver.uploads.length).toBeGreaterThan(2);
    const events = receiver.events();
    expect(events.map((e) => (e["custom"] as { audit_seq: number }).audit_seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(events.map((e) => e["decision_id"])).size).toBe(10);
    expect(events[0]).toMatchObject({ labels: LABELS, path: "mcpgov/decision/result", bundles: { mcpgov: { revision: "2026-04-01.1" } } });
    // The receiver has them a moment before the shipper reads its answer.
    await expect.poll(() => value(metrics, "decisionLogsSent")).toBe(10);
    expect(await value(metrics, "decisionLogsBuffered")).toBe(0);
  });

  it("drops the oldest when the buffer is full, counting each drop", async () => {
    receiver = await startDecisionLogReceiver();
    const metrics = createMetrics();
    // No upload before close: the bound alone decides what stays.
    shipper = new HttpDecisionLogShipper(configFor(receiver.url, { min_delay_sec: 60, max_delay_sec: 60, buffer_size_limit_events: 3 }), { labels: LABELS, metrics, logger: silentLogger });
    for (const record of records(10)) shipper.offer(record);
    expect(await value(metrics, "decisionLogsDropped", { reason: "buffer_full" })).toBe(7);
    expect(await value(metrics, "decisionLogsBuffered")).toBe(3);
    await shipper.close();
    expect(receiver.events().map((e) => (e["custom"] as { audit_seq: number }).audit_seq)).toEqual([8, 9, 10]);
    expect(await value(metrics, "decisionLogsSent")).toBe(3);
  });

  it("retries failed uploads with backoff and delivers once the service answers", async () => {
    receiver = await startDecisionLogReceiver();
    receiver.status = 503;
    const metrics = createMetrics();
    shipper = new HttpDecisionLogShipper(configFor(receiver.url), { labels: LABELS, metrics, logger: silentLogger });
    for (const record of records(4)) shipper.offer(record);
    await expect.poll(() => value(metrics, "decisionLogsUploadFailures", { kind: "status" })).toBeGreaterThanOrEqual(2);
    receiver.status = 200;
    await receiver.waitFor(4);
    expect(receiver.events().map((e) => (e["custom"] as { audit_seq: number }).audit_seq)).toEqual([1, 2, 3, 4]);
    expect(await value(metrics, "decisionLogsDropped")).toBe(0);
  });

  it("with the service down, offers return at once, failures are counted, and close gives up in time counting what is left", async () => {
    const metrics = createMetrics();
    shipper = new HttpDecisionLogShipper(configFor(await refusedUrl(), { shutdown_flush_ms: 200 }), { labels: LABELS, metrics, logger: silentLogger });
    const started = performance.now();
    for (const record of records(50)) shipper.offer(record);
    expect(performance.now() - started).toBeLessThan(50);
    await expect.poll(() => value(metrics, "decisionLogsUploadFailures", { kind: "network" })).toBeGreaterThanOrEqual(1);
    const closing = performance.now();
    await shipper.close();
    expect(performance.now() - closing).toBeLessThan(1_500);
    expect(await value(metrics, "decisionLogsDropped", { reason: "shutdown" })).toBe(50);
    expect(await value(metrics, "decisionLogsSent")).toBe(0);
    // After close, a late record is counted, not kept.
    shipper.offer(records(1, 51)[0]!);
    expect(await value(metrics, "decisionLogsDropped", { reason: "shutdown" })).toBe(51);
  });

  it("drops (and counts) an event larger than max_batch_bytes", async () => {
    receiver = await startDecisionLogReceiver();
    const metrics = createMetrics();
    shipper = new HttpDecisionLogShipper(configFor(receiver.url, { max_batch_bytes: 1_024 }), { labels: LABELS, metrics, logger: silentLogger });
    shipper.offer(records(1)[0]!);
    await expect.poll(() => value(metrics, "decisionLogsDropped", { reason: "too_large" })).toBe(1);
    expect(receiver.uploads).toHaveLength(0);
  });

  it("refuses to start without its token, and the config refuses plain http off loopback and credentials in the URL", async () => {
    const metrics = createMetrics();
    await expect(startDecisionLogShipper(configFor("http://127.0.0.1:9", { bearer_token_env: "DL_MISSING" }), { env: {}, configDir: "/" }, { labels: LABELS, metrics, logger: silentLogger })).rejects.toThrow(/DL_MISSING is not set/);
    expect(DecisionLogsConfigSchema.safeParse({ url: "http://siem.example.com" }).success).toBe(false);
    expect(DecisionLogsConfigSchema.safeParse({ url: "https://user:pw@siem.example.com" }).success).toBe(false);
    expect(DecisionLogsConfigSchema.safeParse({ url: "https://siem.example.com", min_delay_sec: 5, max_delay_sec: 1 }).success).toBe(false);
    expect(DecisionLogsConfigSchema.parse({ url: "https://siem.example.com" })).toMatchObject({ resource: "/logs", buffer_size_limit_events: 10_000 });
  });
});
