import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBundleArchive } from "./archive.js";
import { tarGzBytes } from "./tarball.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcpgov-tarball-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function roundTrip(files: Map<string, Buffer>): Promise<Map<string, Buffer>> {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.tar.gz`);
  await writeFile(path, tarGzBytes(files));
  return readBundleArchive(path);
}

describe("tarGzBytes", () => {
  it("depends only on the files, not on the order they were added", () => {
    const a = new Map([
      ["b/x.rego", Buffer.from("package b\n")],
      [".manifest", Buffer.from("{}")],
    ]);
    const b = new Map([...a].reverse());
    expect(tarGzBytes(a).equals(tarGzBytes(b))).toBe(true);
  });

  it("round-trips long paths (ustar prefix and pax), non-ASCII names, empty and binary files", async () => {
    const long = `${"folder-with-a-long-name/".repeat(6)}rule.rego`; // > 100 bytes, splits at a slash
    const longer = `${"x".repeat(120)}/${"y".repeat(120)}/${"z".repeat(120)}.rego`; // > 255 bytes: pax
    const files = new Map([
      [".manifest", Buffer.from('{"revision":""}')],
      [long, Buffer.from("package a\n")],
      [longer, Buffer.from("package b\n")],
      ["mcpgov/règles/ünïcode.rego", Buffer.from("package c\n")],
      ["empty.json", Buffer.alloc(0)],
      ["policy.wasm", Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 256))],
    ]);
    const read = await roundTrip(files);
    expect([...read.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [name, bytes] of files) expect(read.get(name)!.equals(bytes)).toBe(true);
  });

  it("refuses an entry that climbs out of the bundle", async () => {
    await expect(roundTrip(new Map([["a/../../etc/passwd", Buffer.from("x")]]))).rejects.toThrow(/leaves the bundle/);
  });
});
