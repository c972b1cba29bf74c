/** @module Pieces the fleet end-to-end tests share: a cuttable loopback proxy, a gateway's admin API by URL, `mcpgov bundle serve` as a child. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { approverApi } from "./approvals.js";
import { repoRoot } from "./cli.js";
import type { TestGateway } from "./gateway.js";
import { exited } from "./serve-process.js";

/** The admin API of one gateway (by URL), as approverApi expects a TestGateway. */
export const adminApi = (url: string, key: string) =>
  approverApi({ fetch: (path: string, init?: RequestInit) => fetch(`${url}${path}`, init) } as unknown as TestGateway, key);

export interface Proxy {
  url: string;
  port: number;
  /** Sends new connections to another port, dropping the open ones. */
  target(url: string): void;
  /** While cut, every connection is dropped at once (the far side looks down). */
  cut(down: boolean): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy to one port at a time: a load balancer's failover, or a database that goes away. */
export async function startProxy(initialPort: number): Promise<Proxy> {
  let port = initialPort;
  let down = false;
  const sockets = new Set<Socket>();
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  const server: Server = createServer((inbound) => {
    if (down) return void inbound.destroy();
    const outbound = tcpConnect(port, "127.0.0.1");
    sockets.add(inbound);
    inbound.on("close", () => sockets.delete(inbound));
    inbound.pipe(outbound).pipe(inbound);
    const end = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on("error", end);
    outbound.on("error", end);
    outbound.on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    target: (url) => {
      port = Number(new URL(url).port);
      dropAll();
    },
    cut: (value) => {
      down = value;
      if (down) dropAll();
    },
    close: () =>
      new Promise<void>((r) => {
        dropAll();
        server.close(() => r());
      }),
  };
}

/** `mcpgov bundle serve DIR` on a free loopback port (needs npm run build); `stop` ends it with SIGTERM. */
export async function bundleServe(dir: string): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(repoRoot, "bin", "mcpgov.js"), "bundle", "serve", dir, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = /^mcpgov bundle server on (http:\/\/127\.0\.0\.1:\d+)\//.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`mcpgov bundle serve exited with ${code}`)));
  });
  child.stderr!.resume();
  return {
    child,
    url,
    async stop() {
      child.kill("SIGTERM");
      await exited(child);
    },
  };
}
