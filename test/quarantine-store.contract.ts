/**
 * @module The QuarantineStore contract: one suite every implementation runs
 * (SQLite now, PostgreSQL later), so stores stay interchangeable.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { McpgovError } from "../src/core/errors.js";
import { QuarantineItemSchema, type NewQuarantineItem, type QuarantineStore } from "../src/quarantine/quarantine-store.js";
import { storeHarness, type StoreStorage } from "./helpers/store-contract.js";

/** Empty storage for one test: `open` connects to it (call it twice for two connections). */
export type QuarantineStoreStorage = StoreStorage<QuarantineStore>;

export type QuarantineStoreFactory = () => Promise<QuarantineStoreStorage>;

// Built from parts so the source itself does not look like a leaked credential.
export const WITHHELD_KEY = ["AK", "IA", "Z7QK2MW9RTX4BN8D"].join("");

export function withheldItem(callId: string, fields: Partial<NewQuarantineItem> = {}): NewQuarantineItem {
  return {
    call_id: callId,
    time: "2026-04-01T09:00:00.000Z",
    subject: { id: "alice", tenant: "acme" },
    server: "filesystem",
    tool: "read_text_file",
    rules: ["quarantine-credentials"],
    reason: "quarantine-credentials: private key or cloud credential in the output: aws_access_key",
    bundle: { hash: `sha256:${"b".repeat(64)}`, revision: "2026-04-01.1" },
    findings: { aws_access_key: 2 },
    result_json: JSON.stringify({ content: [{ type: "text", text: `AWS_ACCESS_KEY_ID=${WITHHELD_KEY} — ünïcode\n` }] }),
    ...fields,
  };
}

const review = (reason = "checked with the owner", reviewer = "ops") => ({ reviewer, reason, time: "2026-04-01T10:00:00.000Z" });

export function quarantineStoreContract(name: string, factory: QuarantineStoreFactory): void {
  describe(`QuarantineStore contract: ${name}`, () => {
    const harness = storeHarness(factory);
    const { open } = harness;
    let store: QuarantineStore;
    beforeEach(() => {
      store = harness.store;
    });

    it("holds an output with its metadata and UTF-8 size, and gives the content back exactly", async () => {
      const input = withheldItem("c-1");
      const item = await store.hold(input);
      expect(() => QuarantineItemSchema.parse(item)).not.toThrow();
      expect(item).toMatchObject({ call_id: "c-1", state: "held", content_kept: true, subject: { id: "alice", tenant: "acme" }, findings: { aws_access_key: 2 } });
      expect(item.size_bytes).toBe(Buffer.byteLength(input.result_json, "utf8"));
      expect(item.size_bytes).toBeGreaterThan(input.result_json.length);
      expect(item.reviewer).toBeUndefined();
      expect(await store.content(item.id)).toEqual({ item, result_json: input.result_json });
    });

    it("gives every item its own id", async () => {
      const a = await store.hold(withheldItem("c-1"));
      const b = await store.hold(withheldItem("c-1"));
      expect(a.id).not.toBe(b.id);
    });

    it("never returns the content from get or list", async () => {
      const item = await store.hold(withheldItem("c-1"));
      expect(JSON.stringify(await store.get(item.id))).not.toContain(WITHHELD_KEY);
      expect(JSON.stringify(await store.list())).not.toContain(WITHHELD_KEY);
    });

    it("refuses an invalid item, naming the field, and keeps nothing", async () => {
      const bad = { ...withheldItem("c-1"), rules: [] };
      await expect(store.hold(bad)).rejects.toMatchObject({ code: "input_invalid", message: expect.stringContaining("rules") });
      expect(await store.list()).toEqual([]);
    });

    it("lists newest first, filtered by state, limited", async () => {
      const first = await store.hold(withheldItem("c-1", { time: "2026-04-01T09:00:00.000Z" }));
      const second = await store.hold(withheldItem("c-2", { time: "2026-04-01T09:05:00.000Z" }));
      const third = await store.hold(withheldItem("c-3", { time: "2026-04-01T09:10:00.000Z" }));
      await store.release(second.id, review());
      expect((await store.list()).map((i) => i.call_id)).toEqual(["c-3", "c-2", "c-1"]);
      expect((await store.list({ state: "held" })).map((i) => i.id)).toEqual([third.id, first.id]);
      expect((await store.list({ state: "released" })).map((i) => i.id)).toEqual([second.id]);
      expect(await store.list({ state: "discarded" })).toEqual([]);
      expect((await store.list({ limit: 1 })).map((i) => i.id)).toEqual([third.id]);
      await expect(store.list({ limit: 0 })).rejects.toMatchObject({ code: "input_invalid" });
    });

    it("releases a held item once, recording who, why and when, and keeps the content", async () => {
      const item = await store.hold(withheldItem("c-1"));
      const released = await store.release(item.id, review("false positive: test fixture key"));
      expect(released).toEqual({
        ok: true,
        item: { ...item, state: "released", reviewer: "ops", review_reason: "false positive: test fixture key", reviewed_at: "2026-04-01T10:00:00.000Z" },
      });
      expect((await store.content(item.id))?.result_json).toBe(withheldItem("c-1").result_json);
      const again = await store.release(item.id, review("second try", "someone-else"));
      expect(again).toMatchObject({ ok: false, error: "wrong_state", item: { state: "released", reviewer: "ops" } });
      expect(await store.discard(item.id, review())).toMatchObject({ ok: false, error: "wrong_state" });
    });

    it("discards a held item: the content is gone, the metadata and the review stay", async () => {
      const item = await store.hold(withheldItem("c-1"));
      const discarded = await store.discard(item.id, review("real credential; owner rotates it"));
      expect(discarded).toMatchObject({ ok: true, item: { state: "discarded", content_kept: false, reviewer: "ops", findings: { aws_access_key: 2 } } });
      expect(await store.content(item.id)).toEqual({ item: (discarded as { item: unknown }).item, result_json: undefined });
      expect(await store.release(item.id, review())).toMatchObject({ ok: false, error: "wrong_state", item: { state: "discarded" } });
    });

    it("answers not_found for an unknown id", async () => {
      expect(await store.get("q-nope")).toBeUndefined();
      expect(await store.content("q-nope")).toBeUndefined();
      expect(await store.release("q-nope", review())).toEqual({ ok: false, error: "not_found" });
      expect(await store.discard("q-nope", review())).toEqual({ ok: false, error: "not_found" });
    });

    it("refuses a review without a reason or reviewer and leaves the item held", async () => {
      const item = await store.hold(withheldItem("c-1"));
      await expect(store.release(item.id, review("  "))).rejects.toSatisfy((e) => e instanceof McpgovError && e.code === "input_invalid" && /reason/.test(e.message));
      await expect(store.discard(item.id, review("why", ""))).rejects.toMatchObject({ code: "input_invalid", message: expect.stringContaining("reviewer") });
      expect((await store.get(item.id))?.state).toBe("held");
    });

    it("lets exactly one of two racing connections decide an item", async () => {
      const other = await open();
      const item = await store.hold(withheldItem("c-1"));
      const results = await Promise.all([store.release(item.id, review("a", "rev-a")), other.discard(item.id, review("b", "rev-b"))]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const final = await other.get(item.id);
      const winner = results.find((r) => r.ok)!;
      expect(final).toEqual((winner as { item: unknown }).item);
      expect(results.find((r) => !r.ok)).toMatchObject({ error: "wrong_state", item: final });
    });

    it("expires content older than the cutoff: held items are discarded, released ones lose their content", async () => {
      const heldOld = await store.hold(withheldItem("c-1", { time: "2026-04-01T09:00:00.000Z" }));
      const releasedOld = await store.hold(withheldItem("c-2", { time: "2026-04-01T09:01:00.000Z" }));
      const discardedOld = await store.hold(withheldItem("c-3", { time: "2026-04-01T09:02:00.000Z" }));
      const recent = await store.hold(withheldItem("c-4", { time: "2026-04-08T09:00:00.000Z" }));
      await store.release(releasedOld.id, review("fine"));
      await store.discard(discardedOld.id, review("real"));
      const system = { reviewer: "mcpgov", reason: "retention of 168 h expired", time: "2026-04-08T10:00:00.000Z" };

      const expired = await store.expire("2026-04-02T00:00:00.000Z", system);
      expect(expired.map((i) => [i.id, i.state, i.content_kept, i.reviewer]).sort()).toEqual(
        [
          [heldOld.id, "discarded", false, "mcpgov"],
          [releasedOld.id, "released", false, "ops"],
        ].sort(),
      );
      expect((await store.get(heldOld.id))?.review_reason).toBe("retention of 168 h expired");
      expect((await store.content(releasedOld.id))?.result_json).toBeUndefined();
      expect((await store.content(recent.id))?.result_json).toBe(withheldItem("c-4").result_json);
      expect(await store.expire("2026-04-02T00:00:00.000Z", system)).toEqual([]);
    });

    it("counts items by state", async () => {
      const a = await store.hold(withheldItem("c-1"));
      const b = await store.hold(withheldItem("c-2"));
      await store.hold(withheldItem("c-3"));
      await store.release(a.id, review());
      await store.discard(b.id, review());
      expect(await store.countByState()).toEqual({ held: 1, released: 1, discarded: 1 });
    });

    it("keeps items across reopening", async () => {
      const item = await store.hold(withheldItem("c-1"));
      await store.release(item.id, review());
      const again = await open();
      expect(await again.get(item.id)).toEqual((await store.get(item.id))!);
    });
  });
}
