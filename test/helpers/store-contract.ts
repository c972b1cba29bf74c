/** @module The harness every store contract suite shares: fresh storage per test, every connection closed after it. */
import { afterEach, beforeEach } from "vitest";

/** Empty storage for one test: `open` connects to it (call it twice for two connections). */
export interface StoreStorage<S> {
  open(): Promise<S>;
  cleanup(): Promise<void>;
}

/**
 * Registers the hooks of a contract suite (call inside its `describe`):
 * before each test new storage and a first connection, after it every
 * connection the test opened closed and the storage removed.
 */
export function storeHarness<T extends StoreStorage<{ close(): Promise<void> }>>(factory: () => Promise<T>) {
  type S = Awaited<ReturnType<T["open"]>>;
  let storage: T | undefined;
  let first: S | undefined;
  const opened: S[] = [];
  const open = async (): Promise<S> => {
    const s = (await storage!.open()) as S;
    opened.push(s);
    return s;
  };
  beforeEach(async () => {
    storage = await factory();
    first = await open();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await storage?.cleanup();
  });
  return {
    get storage(): T {
      return storage!;
    },
    get store(): S {
      return first!;
    },
    /** Another connection to the same storage. */
    open,
  };
}
