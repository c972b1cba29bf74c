/** Console sessions: ids, idle and absolute expiry, the cap, and CSRF comparison. */
import { describe, expect, it } from "vitest";
import { ConsoleSessions, sameSecret } from "./console-sessions.js";

describe("console sessions", () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it("opens sessions with fresh unguessable ids and CSRF tokens", () => {
    const sessions = new ConsoleSessions();
    const a = sessions.open("token-a", "bob");
    const b = sessions.open("token-a", "bob");
    expect(a.id).not.toBe(b.id);
    expect(a.csrf).not.toBe(b.csrf);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessions.get(a.id)?.subjectId).toBe("bob");
    expect(sessions.get("guess")).toBeUndefined();
    expect(sessions.get(undefined)).toBeUndefined();
  });

  it("ends a session when idle too long, and at its absolute expiry however busy", () => {
    const c = clock();
    const sessions = new ConsoleSessions({ idleMs: 1000, maxAgeMs: 5000, now: c.now });
    const idle = sessions.open("t", "bob");
    c.advance(999);
    expect(sessions.get(idle.id)).toBeDefined();
    c.advance(1000);
    expect(sessions.get(idle.id)).toBeUndefined();

    const busy = sessions.open("t", "bob");
    for (let i = 0; i < 5; i++) {
      c.advance(900);
      expect(sessions.get(busy.id)).toBeDefined();
    }
    c.advance(900);
    expect(sessions.get(busy.id)).toBeUndefined();
  });

  it("keeps at most maxSessions, dropping the oldest", () => {
    const sessions = new ConsoleSessions({ maxSessions: 2 });
    const first = sessions.open("t", "a");
    const second = sessions.open("t", "b");
    const third = sessions.open("t", "c");
    expect(sessions.size).toBe(2);
    expect(sessions.get(first.id)).toBeUndefined();
    expect(sessions.get(second.id)).toBeDefined();
    expect(sessions.get(third.id)).toBeDefined();
  });

  it("closes a session for good", () => {
    const sessions = new ConsoleSessions();
    const s = sessions.open("t", "bob");
    sessions.close(s.id);
    expect(sessions.get(s.id)).toBeUndefined();
  });

  it("compares CSRF tokens exactly, and never matches empty or missing ones", () => {
    expect(sameSecret("abc", "abc")).toBe(true);
    expect(sameSecret("abc", "abd")).toBe(false);
    expect(sameSecret("abc", "abcd")).toBe(false);
    expect(sameSecret("", "")).toBe(false);
    expect(sameSecret(undefined, undefined)).toBe(false);
    expect(sameSecret("abc", undefined)).toBe(false);
  });
});
