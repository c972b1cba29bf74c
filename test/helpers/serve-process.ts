/** @module A real `mcpgov serve` child process for tests that kill and restart the gateway. */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { repoRoot } from "./cli.js";
import { KEY_ENV, KEYS, type Workspace } from "./gateway.js";

/** A `mcpgov serve` child process and the URL it printed. */
export async function serve(ws: Workspace, options: { logLevel?: string } = {}): Promise<{ child: ChildProcess; url: string; stderr: string[]; stdout: string[] }> {
  // Its own process group, so cleanup can reach the servers it started too.
  const child = spawn(process.execPath, [join(repoRoot, "bin", "mcpgov.js"), "serve", "--config", ws.configPath, "--log-level", options.logLevel ?? "warn"], {
    cwd: ws.dir,
    env: { ...process.env, ...KEY_ENV },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const stderr: string[] = [];
  const stdout: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => stderr.push(line));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mcpgov serve did not start:\n${stderr.join("\n")}`)), 45_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      stdout.push(line);
      const match = /^mcpgov gateway listening on (\S+)$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve(match[1]!);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`mcpgov serve exited with ${code}:\n${stderr.join("\n")}`));
    });
  });
  return { child, url, stderr, stdout };
}

export async function connect(url: string, serverId: string, key: string = KEYS.alice): Promise<Client> {
  const client = new Client({ name: "e2e-kill", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp/${serverId}`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Kills what is left of a serve child's process group (its upstream servers, if they outlived it). */
export function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
}


/** Ends a serve child for good: the signal, then SIGKILL for it and whatever it started. */
export async function stopServe(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  child.kill(signal);
  await exited(child);
  child.kill("SIGKILL");
  killGroup(child);
}
