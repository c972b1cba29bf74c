/**
 * @module The PostgreSQL of a PG store test file: started in beforeAll
 * (postgres-server.ts), stopped in afterAll, a fresh schema per test. It
 * never skips: a server that cannot start fails the file with the reason.
 */
import { afterAll, beforeAll } from "vitest";
import { startPostgres, type PostgresServer } from "./postgres-server.js";

/** Starts PostgreSQL before the file's tests and stops it after them; call the result inside a test. */
export function usePostgres(): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("PostgreSQL is not running (see the error of beforeAll)");
    return server;
  };
}
