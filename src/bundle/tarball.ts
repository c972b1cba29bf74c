/**
 * @module A reproducible tar.gz of bundle files, written in memory.
 *
 * The bytes depend on nothing but the files: paths as OPA writes them (with
 * a leading `/`), entries sorted, every parent folder as its own entry,
 * fixed modes (0644 files, 0755 folders), mtime 0, uid/gid 0, no user or
 * group names, and a gzip header without timestamp and with OS "unknown"
 * (255), whatever the umask, clock or platform of the machine that builds.
 */
import { gzipSync } from "node:zlib";
import type { BundleFiles } from "./archive.js";

const BLOCK = 512;
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
/** RFC 1952: OS byte "unknown", as Go's gzip writer (and so `opa build`) writes it. */
const GZIP_OS_UNKNOWN = 255;

interface TarEntry {
  path: string;
  type: "file" | "dir";
  body: Buffer;
}

/** Every file plus every folder above it, as OPA paths ("/a", "/a/b/"), sorted by bytes. */
function entriesOf(files: BundleFiles): TarEntry[] {
  const entries = new Map<string, TarEntry>();
  for (const [name, body] of files) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i += 1) {
      const dir = `/${parts.slice(0, i).join("/")}/`;
      entries.set(dir, { path: dir, type: "dir", body: Buffer.alloc(0) });
    }
    entries.set(`/${name}`, { path: `/${name}`, type: "file", body });
  }
  return [...entries.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** ustar splits a long path into prefix (≤155 bytes) and name (≤100 bytes) at a `/`. */
function splitUstar(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let i = path.indexOf("/", 1); i !== -1; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && name.length > 0 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  return undefined;
}

function header(fields: { name: string; prefix: string; mode: number; size: number; type: string }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, "utf8");
  block.write(octal(fields.mode, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii");
  block.write(octal(0, 8), 116, "ascii");
  block.write(octal(fields.size, 12), 124, "ascii");
  block.write(octal(0, 12), 136, "ascii");
  block.write("        ", 148, "ascii");
  block.write(fields.type, 156, "ascii");
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  block.write(fields.prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
}

function padded(body: Buffer): Buffer[] {
  const rest = body.length % BLOCK;
  return rest === 0 ? [body] : [body, Buffer.alloc(BLOCK - rest)];
}

/** A pax record "<len> path=<path>\n", whose length counts its own digits. */
function paxPath(path: string): Buffer {
  const text = ` path=${path}\n`;
  let length = Buffer.byteLength(text);
  while (`${length}`.length + Buffer.byteLength(text) !== length) length = `${length}`.length + Buffer.byteLength(text);
  return Buffer.from(`${length}${text}`, "utf8");
}

function entryBlocks(entry: TarEntry): Buffer[] {
  const mode = entry.type === "dir" ? DIR_MODE : FILE_MODE;
  const type = entry.type === "dir" ? "5" : "0";
  const size = entry.body.length;
  const split = splitUstar(entry.path);
  if (split) return [header({ ...split, mode, size, type }), ...padded(entry.body)];
  // Too long for ustar: a pax header carries the path (node-tar, Go and GNU tar read it).
  const pax = paxPath(entry.path);
  const short = entry.path.slice(-99).replace(/^[^/]*\//, "");
  return [
    header({ name: "PaxHeader", prefix: "", mode: FILE_MODE, size: pax.length, type: "x" }),
    ...padded(pax),
    header({ name: short, prefix: "", mode, size, type }),
    ...padded(entry.body),
  ];
}

/** The tar bytes, without compression. */
export function tarBytes(files: BundleFiles): Buffer {
  const blocks = entriesOf(files).flatMap(entryBlocks);
  return Buffer.concat([...blocks, Buffer.alloc(2 * BLOCK)]);
}

/** The bundle as a gzipped tar whose bytes depend only on `files`. */
export function tarGzBytes(files: BundleFiles): Buffer {
  const gz = gzipSync(tarBytes(files), { level: 9 });
  // zlib writes mtime 0 already; the OS byte is the compiling platform's, so fix it.
  gz[9] = GZIP_OS_UNKNOWN;
  return gz;
}
