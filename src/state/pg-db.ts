/**
 * @module The gateway's state on PostgreSQL: one connection pool per store,
 * the versioned schema (src/state/pg-migrations.ts) brought up to date at
 * start-up under an advisory lock, and the mapping of PostgreSQL's failures
 * to mcpgov errors. Same design as state-db.ts: compare-and-set
 * transitions, times as UTC RFC 3339 text (COLLATE "C", so text order is
 * time order whatever the database's locale), a transition reported only
 * after its COMMIT returned.
 */
import pg from "pg";
import { parseIntoClientConfig } from "pg-connection-string";
import { describeThrown, McpgovError } from "../core/errors.js";
import { MIGRATIONS } from "./pg-migrations.js";

export interface PgStateOptions {
  /** postgres://user@host:port/db; a password in the URL is refused (see gateway-config). */
  url: string;
  /** The password, from the environment or a file; when absent pg falls back to PGPASSWORD and ~/.pgpass. */
  password?: string;
  /** A schema to keep the tables in (tests use one per test); default the connection's search_path. */
  schema?: string;
  /** Connections per store (default 4: a gateway opens three stores, and a fleet shares max_connections). */
  maxConnections?: number;
  /** How long to wait for a connection or a lock before refusing (default 2000 ms). */
  timeoutMs?: number;
  /** Create or migrate the schema (default true). Readers such as the CLI pass false: they never write to a database that holds no mcpgov state. */
  create?: boolean;
}

/** pg hands bigint (int8) back as text; our counters and seqs fit a double. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => (oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A pool for one store; the schema is migrated before it is handed out. */
export async function openPgPool(options: PgStateOptions, what: string): Promise<pg.Pool> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new McpgovError("input_invalid", `${what}: schema must be a lowercase SQL identifier`);
  const { password: inUrl, ...fromUrl } = parseIntoClientConfig(options.url);
  // The parser answers '' for a URL without a password, which would hide PGPASSWORD and ~/.pgpass.
  const password = options.password ?? (inUrl === "" ? undefined : inUrl);
  const pool = new pg.Pool({
    ...fromUrl,
    ...(password !== undefined ? { password } : {}),
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: options.timeoutMs ?? 2_000,
    application_name: "mcpgov",
    ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
    types,
  });
  // An idle connection that dies (server restart) must not crash the gateway; the next query reports it.
  pool.on("error", () => undefined);
  // Nor one that dies while checked out between two queries: the next query on it fails and says so.
  pool.on("connect", (client) => void client.on("error", () => undefined));
  try {
    await (options.create === false ? checkMigrated(pool) : migrate(pool));
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw pgError(`${what}: cannot prepare the database`, cause);
  }
  return pool;
}

/**
 * Applies the migrations this database lacks, each in its own transaction,
 * under a session advisory lock so gateways starting together migrate once.
 * A database migrated by a newer mcpgov is refused rather than guessed at.
 */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('mcpgov.migrations.' || current_schema()))");
    try {
      await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      const { rows } = await client.query<{ version: number | null }>("SELECT max(version) AS version FROM schema_migrations");
      const current = rows[0]?.version ?? 0;
      const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
      if (current > latest) throw new Error(`schema version ${current} was written by a newer mcpgov (this one knows ${latest})`);
      for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
          await client.query("COMMIT");
        } catch (cause) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw cause;
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('mcpgov.migrations.' || current_schema()))").catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/** For a reader: the schema must be there and current (a gateway of this version migrates it). */
async function checkMigrated(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ found: string | null }>("SELECT to_regclass('schema_migrations')::text AS found");
  if (!rows[0]?.found) throw new McpgovError("io_error", "no mcpgov state in this database (no schema_migrations table); point --state or MCPGOV_STATE at the gateway's database");
  const version = (await pool.query<{ version: number | null }>("SELECT max(version) AS version FROM schema_migrations")).rows[0]?.version ?? 0;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  if (version !== latest) throw new McpgovError("io_error", `the database's mcpgov schema is version ${version}, this mcpgov reads ${latest}; start a gateway of the same version first`);
}

/** Runs `fn` in one transaction on one connection; rolls back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (cause) {
    try {
      await client.query("ROLLBACK");
    } catch {
      broken = true;
    }
    throw cause;
  } finally {
    client.release(broken);
  }
}

/**
 * Whether PostgreSQL cannot take work now (down, unreachable, out of
 * connections or disk, a lock held past the timeout, read-only), as
 * opposed to refusing this statement (a constraint, bad input).
 */
export function isUnavailable(cause: unknown): boolean {
  const code = String((cause as { code?: unknown } | null)?.code ?? "");
  if (/^(08|53|57P|58)/.test(code) || ["55P03", "57014", "25006", "40P01"].includes(code)) return true;
  if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EPIPE", "EAI_AGAIN"].includes(code)) return true;
  const message = cause instanceof Error ? cause.message : "";
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Cannot use a pool after calling end/.test(message);
}

/** A store error naming what failed and PostgreSQL's words (its messages name constraints, not bound values). */
export function pgError(what: string, cause: unknown): McpgovError {
  if (cause instanceof McpgovError) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  return new McpgovError("io_error", `${what}: ${describeThrown(cause)}`, { cause, ...(typeof code === "string" ? { data: { pg_code: code } } : {}) });
}
