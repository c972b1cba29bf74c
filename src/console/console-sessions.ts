/**
 * @module The console's sign-in sessions: an opaque random id in the
 * browser's cookie, and on the server the token it was opened with, the
 * subject it named, a CSRF token and the expiry.
 *
 * The token stays in this process's memory (never in the cookie, a URL or a
 * page) so every request can re-authenticate it: a revoked key or an expired
 * JWT ends the session at the next click, not at the session's expiry. A
 * restart forgets every session, which signs everyone out: the safe side.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";

export interface ConsoleSession {
  id: string;
  /** The bearer token the approver signed in with; only ever handed to the admin authenticator. */
  token: string;
  subjectId: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
  lastSeen: number;
  /** One message for the next page (post/redirect/get), kept here rather than in the URL. */
  flash?: { kind: "ok" | "error"; text: string };
}

export interface ConsoleSessionOptions {
  /** Absolute lifetime (default 8 h). */
  maxAgeMs?: number;
  /** Idle timeout (default 30 min). */
  idleMs?: number;
  /** At most this many live sessions; the oldest goes first (default 1000). */
  maxSessions?: number;
  now?: () => number;
}

/** 32 random bytes, base64url: unguessable ids and CSRF tokens. */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Constant-time string equality, for CSRF tokens. */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== "string" || typeof b !== "string" || a === "" || b === "") return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly maxAgeMs: number;
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: ConsoleSessionOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 8 * 3600_000;
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.maxSessions = options.maxSessions ?? 1000;
    this.now = options.now ?? Date.now;
  }

  open(token: string, subjectId: string): ConsoleSession {
    this.prune();
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const now = this.now();
    const session: ConsoleSession = { id: randomToken(), token, subjectId, csrf: randomToken(), createdAt: now, expiresAt: now + this.maxAgeMs, lastSeen: now };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session for a cookie value; an expired or idle one is dropped and reads as none. */
  get(id: string | undefined): ConsoleSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.now();
    if (now >= session.expiresAt || now - session.lastSeen >= this.idleMs) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (now >= session.expiresAt || now - session.lastSeen >= this.idleMs) this.sessions.delete(id);
    }
  }
}
