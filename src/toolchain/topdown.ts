/**
 * @module TopdownEvaluator: OPA's own evaluator (Go topdown, `opa run
 * --server`) over a staged policy folder, to check the WASM engine against.
 *
 * One server answers every input, so ten thousand envelopes cost ten
 * thousand local HTTP requests rather than ten thousand `opa eval` starts.
 * The input is sent as the same JSON text the WASM engine is given.
 */
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { McpgovError } from "../core/errors.js";
import { startOpa } from "./opa.js";

/** What one entrypoint evaluated to: a value, undefined, or an error OPA reported. */
export type TopdownResult = { kind: "value"; value: unknown } | { kind: "undefined" } | { kind: "error"; message: string };

export interface TopdownEvaluator {
  /** `entrypoint` as a path, e.g. mcpgov/decision; `inputJson` is the input's JSON text. */
  evaluate(entrypoint: string, inputJson: string): Promise<TopdownResult>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitHealthy(base: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new McpgovError("opa_failed", `opa run exited (${child.exitCode}): ${stderr().slice(0, 2000)}`);
    try {
      const response = await fetch(`${base}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new McpgovError("opa_failed", `opa run did not become healthy within 30s: ${stderr().slice(0, 2000)}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Starts `opa run --server` on 127.0.0.1 over `dir` (a staged policy: Rego
 * and data). The caller must close() it.
 */
export async function startTopdown(dir: string): Promise<TopdownEvaluator> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = await startOpa(["run", "--server", "--addr", `127.0.0.1:${port}`, "--log-level", "error", "--skip-version-check", "-b", dir]);
    let errText = "";
    child.stderr?.on("data", (chunk: Buffer) => (errText += chunk.toString("utf8")));
    child.stdout?.resume();
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitHealthy(base, child, () => errText);
    } catch (error) {
      await stop(child);
      // Another process may have taken the port between probe and start.
      if (attempt < 2 && /address already in use/.test(errText)) continue;
      throw error;
    }
    return {
      async evaluate(entrypoint, inputJson) {
        let response: Response;
        try {
          response = await fetch(`${base}/v1/data/${entrypoint}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: `{"input":${inputJson}}`,
          });
        } catch (cause) {
          const why = child.exitCode !== null ? `opa run exited (${child.exitCode}): ${errText.slice(-2000)}` : (cause as Error).message;
          throw new McpgovError("opa_failed", `topdown evaluation of ${entrypoint} failed: ${why}`, { cause });
        }
        const text = await response.text();
        let body: { result?: unknown; message?: string; code?: string };
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          return { kind: "error", message: `HTTP ${response.status}: ${text.slice(0, 500)}` };
        }
        if (!response.ok) return { kind: "error", message: `${body.code ?? response.status}: ${body.message ?? text.slice(0, 500)}` };
        return "result" in body ? { kind: "value", value: body.result } : { kind: "undefined" };
      },
      close: () => stop(child),
    };
  }
}
