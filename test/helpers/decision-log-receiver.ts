/**
 * @module A decision-log service on 127.0.0.1 for tests: takes OPA-style
 * uploads (POST, gzipped JSON array), gunzips and keeps every event and
 * every request's headers; answers with the status a test sets.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export interface ReceivedUpload {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  events: Array<Record<string, unknown>>;
}

export interface DecisionLogReceiver {
  url: string;
  uploads: ReceivedUpload[];
  /** Every event accepted so far (uploads answered with `status` 2xx). */
  events(): Array<Record<string, unknown>>;
  /** The status the next uploads get (default 204). */
  status: number;
  /** Resolves once at least `count` events were accepted; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startDecisionLogReceiver(): Promise<DecisionLogReceiver> {
  const uploads: ReceivedUpload[] = [];
  const accepted: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  const receiver: DecisionLogReceiver = {
    url: "",
    uploads,
    events: () => [...accepted],
    status: 204,
    async waitFor(count, timeoutMs = 10_000) {
      if (accepted.length >= count) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`decision-log receiver: ${accepted.length} of ${count} events after ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (accepted.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The gateway's fetch keeps connections alive; they would hold close() for seconds.
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
      const events = JSON.parse(body.toString("utf8")) as Array<Record<string, unknown>>;
      uploads.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, events });
      const status = receiver.status;
      if (status >= 200 && status < 300) accepted.push(...events);
      res.writeHead(status).end();
      for (const waiter of [...waiters]) waiter();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** A loopback URL nobody listens on: uploads to it are refused at once. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
