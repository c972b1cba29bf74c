/**
 * @module A development bundle server speaking OPA's bundle-service
 * protocol: `GET /bundles/<name>.tar.gz` (or `/<name>.tar.gz`) serves
 * DIR/<name>.tar.gz with a strong ETag (the SHA-256 of its bytes);
 * `If-None-Match` with the current ETag → 304. With `Prefer: wait=N` the
 * request is held until the file changes or N seconds pass (OPA's long
 * polling), and the answer carries `Content-Type:
 * application/vnd.openpolicyagent.bundles` to say the server supports it.
 *
 * For development and tests: no authentication, loopback by default.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export const LONG_POLL_CONTENT_TYPE = "application/vnd.openpolicyagent.bundles";

export interface BundleServerOptions {
  dir: string;
  host?: string;
  port?: number;
  /** The longest a long poll is held, whatever the client asks. */
  maxWaitSec?: number;
  /** How often a held request looks at the file. */
  checkIntervalMs?: number;
  /** Told of each request served, for a log line. */
  onRequest?(line: { method: string; path: string; status: number; etag?: string }): void;
}

export interface RunningBundleServer {
  url: string;
  close(): Promise<void>;
}

interface Snapshot {
  etag: string;
  bytes: Buffer;
}

const NAME = /^\/(?:bundles\/)?([A-Za-z0-9._-]+\.tar\.gz)$/;

/** The file's bytes and ETag, re-read only when its size, mtime or inode changed. */
function snapshots(dir: string): (name: string) => Promise<Snapshot | undefined> {
  const cache = new Map<string, { key: string; snapshot: Snapshot }>();
  return async (name) => {
    const file = join(dir, name);
    try {
      const info = await stat(file);
      const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
      const cached = cache.get(name);
      if (cached?.key === key) return cached.snapshot;
      const bytes = await readFile(file);
      const snapshot = { etag: `"${createHash("sha256").update(bytes).digest("hex")}"`, bytes };
      cache.set(name, { key, snapshot });
      return snapshot;
    } catch {
      cache.delete(name);
      return undefined;
    }
  };
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*");
}

function waitSecOf(prefer: string | undefined, max: number): number | undefined {
  const match = /(?:^|[,;\s])wait=(\d+)/.exec(prefer ?? "");
  return match ? Math.min(Number(match[1]), max) : undefined;
}

export async function startBundleServer(options: BundleServerOptions): Promise<RunningBundleServer> {
  const read = snapshots(options.dir);
  const interval = options.checkIntervalMs ?? 200;
  const held = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const answer = (status: number, headers: Record<string, string>, body?: Buffer) => {
      res.writeHead(status, headers);
      res.end(req.method === "HEAD" ? undefined : body);
      options.onRequest?.({ method: req.method ?? "", path, status, ...(headers["etag"] ? { etag: headers["etag"] } : {}) });
    };
    if (req.method !== "GET" && req.method !== "HEAD") return answer(405, { allow: "GET, HEAD" });
    const name = NAME.exec(path)?.[1];
    if (name === undefined) return answer(404, { "content-type": "text/plain" }, Buffer.from("not found\n"));
    const prefer = req.headers["prefer"];
    const wait = waitSecOf(Array.isArray(prefer) ? prefer.join(",") : prefer, options.maxWaitSec ?? 300);
    const contentType = wait === undefined ? "application/gzip" : LONG_POLL_CONTENT_TYPE;
    const ifNoneMatch = req.headers["if-none-match"];
    let current = await read(name);
    if (current && wait !== undefined && matches(ifNoneMatch, current.etag)) {
      // Hold the request until the bundle changes, the wait ends or the client goes away.
      const deadline = Date.now() + wait * 1000;
      while (current && matches(ifNoneMatch, current.etag) && Date.now() < deadline && !res.destroyed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            held.delete(timer);
            resolve();
          }, Math.min(interval, Math.max(0, deadline - Date.now())));
          held.add(timer);
        });
        current = await read(name);
      }
      if (res.destroyed) return;
    }
    if (!current) return answer(404, { "content-type": "text/plain" }, Buffer.from(`no bundle ${name}\n`));
    if (matches(ifNoneMatch, current.etag)) return answer(304, { etag: current.etag, "content-type": contentType });
    return answer(200, { etag: current.etag, "content-type": contentType, "content-length": String(current.bytes.length) }, current.bytes);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8282, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of held) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
