/**
 * The approval console through the gateway's real Hono app (`app.request()`,
 * no socket): sign-in, sessions, CSRF, escaping of hostile arguments, the
 * page's security headers, the same-origin rule for /console, and the
 * service's approver rules shown on the page. Held requests come from real
 * server-filesystem writes by the SDK client against a running gateway that
 * shares the context.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeyAuthenticator, noAuthenticator, type Authenticator } from "../src/gateway/auth.js";
import { createHttpApp } from "../src/gateway/http-app.js";
import { SessionRegistry } from "../src/gateway/sessions.js";
import {
  decisionOf,
  disposeGateway,
  filesystemServer,
  KEYS,
  referenceWorkspace,
  startTestGateway,
  type TestGateway,
  type Workspace,
  writeGatewayConfig,
} from "./helpers/gateway.js";

const ORIGIN = "http://127.0.0.1";
const HOSTILE = `</pre><script>alert("pwned")</script><img src=x onerror=alert(1)>`;

let ws: Workspace;
let gw: TestGateway;
let alice: Client;
let bobClient: Client;
let revoked = new Set<string>();
let app: Hono<never>;

/** The gateway's key set; a key in `revoked` stops signing in, as after a key rotation. */
function keysAuthenticator(): Authenticator {
  const inner = apiKeyAuthenticator([
    { id: "alice", key: KEYS.alice, subject: "alice", roles: ["developer"], scopes: ["tools:call"] },
    { id: "admin", key: KEYS.admin, subject: "ops", roles: ["sre", "mcpgov-admin"] },
    { id: "bob", key: KEYS.bob, subject: "bob", roles: ["approver"], scopes: ["tools:call"] },
    { id: "carol", key: KEYS.carol, subject: "carol", roles: ["security-approver"], scopes: ["tools:call"] },
  ]);
  return {
    mode: "api_keys",
    authenticate: async (authorization) => (revoked.has(authorization ?? "") ? { ok: false, status: 401, reason: "unknown API key" } : inner.authenticate(authorization)),
  };
}

function buildApp(adminAuth: Authenticator): Hono<never> {
  const ctx = gw.gateway.ctx;
  return createHttpApp({ ctx, auth: adminAuth, adminAuth, sessions: new SessionRegistry(ctx), ready: () => ({ ok: true, detail: {} }), draining: () => false, metricsAccess: () => true }) as never;
}

/** A browser in miniature: keeps cookies per name and sends them back with Host (and Origin on posts). */
class Browser {
  readonly cookies = new Map<string, string>();
  lastSetCookies: string[] = [];
  constructor(
    private readonly target: () => Hono<never>,
    private readonly base = ORIGIN,
  ) {}

  async request(path: string, init: { method?: string; form?: Record<string, string>; origin?: string | null } = {}): Promise<Response> {
    const headers: Record<string, string> = { host: new URL(this.base).host };
    if (this.cookies.size > 0) headers["cookie"] = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const method = init.method ?? (init.form ? "POST" : "GET");
    if (method === "POST" && init.origin !== null) headers["origin"] = init.origin ?? this.base;
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    const response = await this.target().request(`${this.base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    this.lastSetCookies = response.headers.getSetCookie();
    for (const line of this.lastSetCookies) {
      const [pair] = line.split(";");
      const [name, ...value] = pair!.split("=");
      const v = value.join("=");
      if (v === "" || /max-age=0/i.test(line)) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), v);
    }
    return response;
  }

  async page(path: string): Promise<string> {
    const response = await this.request(path);
    expect(response.status).toBe(200);
    return response.text();
  }

  /** The CSRF token in the first form of a page. */
  static csrfOf(html: string): string {
    const match = /name="csrf" value="([^"]+)"/.exec(html);
    if (!match) throw new Error("no csrf field on the page");
    return match[1]!;
  }

  async signIn(token: string): Promise<Response> {
    const login = await this.page("/console/login");
    return this.request("/console/login", { form: { csrf: Browser.csrfOf(login), token } });
  }
}

const browser = (base?: string) => new Browser(() => app, base);

async function held(client: Client, name: string, content: string): Promise<string> {
  const result = await client.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, name), content } });
  const meta = decisionOf(result);
  expect(meta.decision).toBe("REQUIRE_APPROVAL");
  return meta.approval_id!;
}

const stateOf = async (id: string) => (await gw.gateway.ctx.approvals.store.get(id))!;

beforeAll(async () => {
  ws = await referenceWorkspace();
  await writeGatewayConfig(ws, {
    servers: [filesystemServer(ws)],
    approvals: { wait_sec: 0, groups: { default: { roles: ["approver"] }, security: { roles: ["security-approver"] } } },
  });
  gw = await startTestGateway(ws);
  alice = await gw.connect("filesystem");
  bobClient = await gw.connect("filesystem", KEYS.bob);
  app = buildApp(keysAuthenticator());
});

afterAll(() => disposeGateway(gw, ws));

describe("the page's own defences", () => {
  it("sends CSP without script, nosniff, a referrer policy, no-store and no framing on every console response", async () => {
    const b = browser();
    for (const path of ["/console/login", "/console", "/console/style.css"]) {
      const response = await b.request(path);
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("script-src");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("same-origin");
      expect(response.headers.get("cache-control")).toBe("no-store");
    }
    const page = await b.page("/console/login");
    expect(page.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(page).not.toContain("<script");
    expect(page).not.toMatch(/ style=|<style/);
    expect(page).toContain('<a class="skip-link" href="#main">');
    expect(page).toContain('<label for="token">');
  });

  it("refuses a form over 64 KiB before reading it", async () => {
    const b = browser();
    const csrf = Browser.csrfOf(await b.page("/console/login"));
    const response = await b.request("/console/login", { form: { csrf, token: "x".repeat(70 * 1024) } });
    expect(response.status).toBe(413);
    expect(b.cookies.has("mcpgov_console")).toBe(false);
  });

  it("sends a signed-out browser to the sign-in page", async () => {
    const response = await browser().request("/console");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/console/login");
  });

  it("accepts the console's own origin on /console only; foreign origins stay refused", async () => {
    const b = browser();
    const login = await b.page("/console/login");
    const foreign = await b.request("/console/login", { form: { csrf: Browser.csrfOf(login), token: KEYS.bob }, origin: "http://evil.example" });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain("Origin is not allowed");
    // Another port on the same host is another origin.
    expect((await b.request("/console/login", { form: { csrf: Browser.csrfOf(login), token: KEYS.bob }, origin: "http://127.0.0.1:1" })).status).toBe(403);
    // The same origin posting to the admin API is still refused: the exception is the console's.
    const admin = await app.request(`${ORIGIN}/admin/approvals`, { headers: { host: "127.0.0.1", origin: ORIGIN, authorization: `Bearer ${KEYS.bob}` } });
    expect(admin.status).toBe(403);
    const same = await b.request("/console/login", { form: { csrf: Browser.csrfOf(login), token: KEYS.bob } });
    expect(same.status).toBe(303);
  });
});

describe("sign-in", () => {
  it("refuses a wrong token without echoing it, and sets no session", async () => {
    const b = browser();
    const typed = "not-a-key-but-someones-password-123";
    const response = await b.signIn(typed);
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(html).toContain("Sign-in failed: unknown API key");
    expect(html).not.toContain(typed);
    expect(b.cookies.has("mcpgov_console")).toBe(false);
  });

  it("refuses a sign-in post whose CSRF token is missing or not the one in its cookie", async () => {
    const b = browser();
    await b.page("/console/login");
    expect((await b.request("/console/login", { form: { token: KEYS.bob } })).status).toBe(403);
    expect((await b.request("/console/login", { form: { token: KEYS.bob, csrf: "forged" } })).status).toBe(403);
    expect(b.cookies.has("mcpgov_console")).toBe(false);
  });

  it("lets only approvers in", async () => {
    const b = browser();
    const response = await b.signIn(KEYS.alice);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("Signed in as alice, but that subject has no approver role");
    expect(b.cookies.has("mcpgov_console")).toBe(false);
  });

  it("refuses to run on a gateway whose admin API has no authentication", async () => {
    const open = buildApp(noAuthenticator({ id: "anonymous", roles: ["mcpgov-admin"], scopes: [] }));
    const b = new Browser(() => open);
    const response = await b.signIn("anything");
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("auth mode none");
    expect(b.cookies.has("mcpgov_console")).toBe(false);
  });

  it("opens a session as an opaque HttpOnly SameSite=Strict cookie on /console, Secure over https", async () => {
    const b = browser();
    const response = await b.signIn(KEYS.bob);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/console");
    const cookie = b.lastSetCookies.find((line) => line.startsWith("mcpgov_console="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/console/);
    expect(cookie).toMatch(/Max-Age=\d+/);
    expect(cookie).not.toMatch(/Secure/);
    expect(cookie).not.toContain(KEYS.bob);
    const page = await b.page("/console");
    expect(page).toContain("Signed in as <strong>bob</strong>");
    expect(page).not.toContain(KEYS.bob);

    const tls = browser("https://127.0.0.1");
    await tls.signIn(KEYS.bob);
    expect(tls.lastSetCookies.find((line) => line.startsWith("mcpgov_console="))).toMatch(/; Secure/);
  });

  it("ends the session at the next request once the token no longer signs in", async () => {
    const b = browser();
    await b.signIn(KEYS.carol);
    expect((await b.request("/console")).status).toBe(200);
    revoked.add(`Bearer ${KEYS.carol}`);
    try {
      const response = await b.request("/console");
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe("/console/login?m=expired");
    } finally {
      revoked = new Set();
    }
    // The session is gone for good, not just while the key was revoked.
    expect((await b.request("/console")).headers.get("location")).toBe("/console/login");
  });

  it("signs out with a CSRF-checked post", async () => {
    const b = browser();
    await b.signIn(KEYS.bob);
    const csrf = Browser.csrfOf(await b.page("/console"));
    const cookie = b.cookies.get("mcpgov_console")!;
    expect((await b.request("/console/logout", { form: {} })).status).toBe(403);
    const out = await b.request("/console/logout", { form: { csrf } });
    expect(out.headers.get("location")).toBe("/console/login?m=signed-out");
    // Replaying the old cookie gets nothing.
    b.cookies.set("mcpgov_console", cookie);
    expect((await b.request("/console")).headers.get("location")).toBe("/console/login");
  });
});

describe("the queue", () => {
  it("shows hostile arguments as text, never as markup", async () => {
    const id = await held(alice, "hostile.txt", HOSTILE);
    const b = browser();
    await b.signIn(KEYS.bob);
    const page = await b.page("/console");
    expect(page).toContain(id);
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img src=x");
    expect(page).toContain("&lt;/pre&gt;&lt;script&gt;alert(\\&quot;pwned\\&quot;)&lt;/script&gt;");
    const detail = await b.page(`/console/requests/${id}`);
    expect(detail).not.toContain("<script>alert");
    expect(detail).toContain("require-approval-production-write");
    expect(detail).toContain(gw.gateway.ctx.bundles.current().bundle.hash);
  });

  it("refuses decisions whose CSRF token is missing or wrong, and decides nothing", async () => {
    const id = await held(alice, "csrf.txt", "x\n");
    const b = browser();
    await b.signIn(KEYS.bob);
    const csrf = Browser.csrfOf(await b.page("/console"));
    const missing = await b.request(`/console/requests/${id}/approve`, { form: { reason: "ok" } });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain("CSRF token missing or wrong");
    expect((await b.request(`/console/requests/${id}/approve`, { form: { reason: "ok", csrf: `${csrf}x` } })).status).toBe(403);
    // Another session's token is no good either.
    const other = browser();
    await other.signIn(KEYS.admin);
    const otherCsrf = Browser.csrfOf(await other.page("/console"));
    expect((await b.request(`/console/requests/${id}/approve`, { form: { reason: "ok", csrf: otherCsrf } })).status).toBe(403);
    expect((await stateOf(id)).state).toBe("pending");
  });

  it("shows the service's refusals: own request, another group, a denial without a reason", async () => {
    const own = await held(bobClient, "bobs-own.txt", "mine\n");
    const bob = browser();
    await bob.signIn(KEYS.bob);
    const page = await bob.page("/console");
    expect(page).toContain("You cannot decide this request: the requester cannot decide their own request.");
    const csrf = Browser.csrfOf(page);
    const tried = await bob.request(`/console/requests/${own}/approve`, { form: { csrf, reason: "trust me", back: "detail" } });
    expect(tried.status).toBe(303);
    expect(tried.headers.get("location")).toBe(`/console/requests/${own}`);
    expect(await bob.page(`/console/requests/${own}`)).toContain("Not approved: the requester cannot decide their own request.");

    const carol = browser();
    await carol.signIn(KEYS.carol);
    const carolQueue = await carol.page("/console");
    // Another group's requests are not listed, and their pages answer as if they did not exist.
    expect(carolQueue).not.toContain(own);
    const hidden = await carol.request(`/console/requests/${own}`);
    expect(hidden.status).toBe(404);
    expect(await hidden.text()).toContain("There is no approval request with that id.");
    const carolCsrf = Browser.csrfOf(carolQueue);
    await carol.request(`/console/requests/${own}/approve`, { form: { csrf: carolCsrf, reason: "not my queue" } });
    expect(await carol.page("/console")).toContain("Not approved: approving for group &quot;default&quot; needs one of the roles approver or mcpgov-admin.");

    const admin = browser();
    await admin.signIn(KEYS.admin);
    const adminCsrf = Browser.csrfOf(await admin.page("/console"));
    await admin.request(`/console/requests/${own}/deny`, { form: { csrf: adminCsrf, reason: "   " } });
    expect(await admin.page("/console")).toContain("Not denied: a denial needs a reason.");
    expect((await stateOf(own)).state).toBe("pending");

    await admin.request(`/console/requests/${own}/deny`, { form: { csrf: adminCsrf, reason: "no self-service prod writes" } });
    const after = await admin.page("/console");
    expect(after).toContain(`Denied filesystem · write_file (${own}).`);
    expect(await stateOf(own)).toMatchObject({ state: "denied", decided_by: { id: "ops", via: "console" }, decision_reason: "no self-service prod writes" });
    const [, recent] = after.split('id="recent-heading"');
    expect(recent).toContain("no self-service prod writes");
    expect(recent).toContain("ops (console)");
    expect(existsSync(join(ws.sandbox, "bobs-own.txt"))).toBe(false);
  });

  it("answers an unknown request id with a 404 page", async () => {
    const b = browser();
    await b.signIn(KEYS.bob);
    const response = await b.request("/console/requests/apr-nope");
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("There is no approval request with that id.");
  });
});
