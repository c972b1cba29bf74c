/** @module Runs the rug-pull test server for gateway tests: as a stdio registry entry, or over Streamable HTTP on 127.0.0.1. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { type RegistryEntry, RegistryEntrySchema } from "../../src/core/gateway-config.js";
import type { Logger } from "../../src/logger.js";
import { createRugPullServer } from "../fixtures/rug-pull-server.mjs";
import { repoRoot } from "./cli.js";

export const RUG_PULL_SERVER = join(repoRoot, "test", "fixtures", "rug-pull-server.mjs");

export function serverScript(name: "everything" | "filesystem" | "memory"): string {
  return join(repoRoot, "node_modules", "@modelcontextprotocol", `server-${name}`, "dist", "index.js");
}

/** What the server reads on every tools/list: change it to pull the rug. */
export interface RugState {
  description?: string;
  extraTool?: boolean;
  failOnStart?: boolean;
}

export interface RugPullStdio {
  dir: string;
  stateFile: string;
  entry: RegistryEntry;
  setState(state: RugState): void;
}

export function rugPullStdio(fields: Record<string, unknown> = {}): RugPullStdio {
  const dir = mkdtempSync(join(tmpdir(), "mcpgov-rug-"));
  const stateFile = join(dir, "state.json");
  const setState = (state: RugState) => writeFileSync(stateFile, JSON.stringify(state));
  setState({});
  const entry = RegistryEntrySchema.parse({
    id: "rug",
    transport: { type: "stdio", command: process.execPath, args: [RUG_PULL_SERVER], env: { RUG_PULL_STATE: stateFile } },
    ...fields,
  });
  return { dir, stateFile, entry, setState };
}

export function stdioEntry(id: string, args: string[], fields: Record<string, unknown> = {}): RegistryEntry {
  return RegistryEntrySchema.parse({ id, transport: { type: "stdio", command: process.execPath, args }, ...fields });
}

/** Serves the rug-pull server statelessly over Streamable HTTP on 127.0.0.1, recording each request's headers. */
export async function rugPullHttp(): Promise<{ url: string; headers: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const headers: IncomingHttpHeaders[] = [];
  const http = createServer((req, res) => {
    headers.push(req.headers);
    const server = createRugPullServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => {
        res.statusCode = 500;
        res.end();
      });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** A logger that keeps what it is given, for assertions. */
export function memoryLogger(): Logger & { entries: Array<{ level: string; fields: Record<string, unknown>; message: string }> } {
  const entries: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void entries.push({ level, fields, message });
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
