/**
 * @module The approval console at /console: approvers sign in with their
 * gateway token, see the pending queue and recent decisions, and approve or
 * deny. Every rule about who may decide what lives in the approval service;
 * this module only adds what a browser page needs: sessions, CSRF tokens and
 * defensive headers (see console-security.ts).
 *
 * Fail closed throughout: no session, a session whose token no longer
 * authenticates, a subject that lost its approver role, a missing or wrong
 * CSRF token, or any error decides nothing.
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { JSX } from "hono/jsx/jsx-runtime";
import { mayDecide, type ApprovalRequest, type ApprovalState } from "../core/approval.js";
import { isApprover } from "../gateway/admin-approval-routes.js";
import type { Authenticator, Subject } from "../gateway/auth.js";
import type { GatewayContext } from "../gateway/context.js";
import { ConsoleSessions, randomToken, sameSecret, type ConsoleSession } from "./console-sessions.js";
import { DetailPage, LoginPage, MessagePage, QueuePage, settledAt, type RequestView } from "./console-pages.js";
import { STYLE, type Flash } from "./console-layout.js";
import { CONSOLE_PATH, cookieOptions, LOGIN_COOKIE, securityHeaders, SESSION_COOKIE } from "./console-security.js";

type Env = { Variables: { session: ConsoleSession; subject: Subject; form: Record<string, string> } };

export interface ConsoleOptions {
  sessions?: ConsoleSessions;
  /** Recent decisions shown (default 30). */
  recentLimit?: number;
}

/** Fixed texts for the sign-in page's `?m=` parameter: nothing from the request is echoed. */
const LOGIN_MESSAGES: Record<string, Flash> = {
  "signed-out": { kind: "ok", text: "You are signed out." },
  expired: { kind: "error", text: "Your session ended (expired, idle, or your token no longer signs in). Sign in again." },
};

const MAX_TOKEN_CHARS = 16 * 1024;
/** Pending requests shown on one page; the heading says when there are more. */
const QUEUE_PAGE = 200;
const SETTLED: ApprovalState[] = ["approved", "denied", "used", "expired", "void"];

async function render(c: Context, page: JSX.Element, status: 200 | 400 | 401 | 403 | 404 | 413 | 500 = 200): Promise<Response> {
  const html = await page;
  return c.html(`<!DOCTYPE html>${html.toString()}`, status);
}

/** The posted form's string fields; files and repeated fields are not ours and are dropped. */
async function readForm(c: Context): Promise<Record<string, string>> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) return {};
  const body = await c.req.parseBody();
  return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === "string"));
}

export function consoleRoutes(ctx: GatewayContext, adminAuth: Authenticator, options: ConsoleOptions = {}): Hono<Env> {
  const sessions = options.sessions ?? new ConsoleSessions();
  const recentLimit = options.recentLimit ?? 30;
  const sessionMaxAgeSec = 8 * 3600;
  const app = new Hono<Env>();

  app.use(securityHeaders());
  app.use(
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => render(c, <MessagePage title="Request too large" text="The form was larger than 64 KiB; nothing was decided." />, 413),
    }),
  );
  app.onError(async (error, c) => {
    ctx.logger.error({ err: { message: error.message, name: error.name } }, "console request failed");
    return render(c, <MessagePage title="Something went wrong" text="The console could not complete the request; nothing was decided. The gateway log has the details." />, 500);
  });

  app.get("/style.css", (c) => c.body(STYLE, 200, { "content-type": "text/css; charset=utf-8" }));

  // ---- sign-in ---------------------------------------------------------------

  const loginPage = (c: Context, message: Flash | undefined, status: 200 | 401 | 403 = 200) => {
    const csrf = randomToken();
    setCookie(c, LOGIN_COOKIE, csrf, cookieOptions(c, 600));
    return render(c, <LoginPage csrf={csrf} {...(message ? { message } : {})} />, status);
  };

  app.get("/login", async (c) => {
    if (sessions.get(getCookie(c, SESSION_COOKIE))) return c.redirect(CONSOLE_PATH, 303);
    return loginPage(c, LOGIN_MESSAGES[c.req.query("m") ?? ""]);
  });

  app.post("/login", async (c) => {
    const form = await readForm(c);
    if (!sameSecret(form["csrf"], getCookie(c, LOGIN_COOKIE))) {
      return render(c, <MessagePage title="Sign-in refused" text="The sign-in form was stale or not ours (CSRF token missing or wrong). Reload the sign-in page and try again." />, 403);
    }
    if (adminAuth.mode === "none") {
      ctx.logger.warn({}, "console sign-in refused: the admin API has no authentication");
      return loginPage(c, { kind: "error", text: "The console needs token authentication: this gateway's admin API runs with auth mode none, so nobody's decision could be attributed." }, 403);
    }
    const token = (form["token"] ?? "").trim();
    if (token === "" || token.length > MAX_TOKEN_CHARS || /\s/.test(token)) {
      return loginPage(c, { kind: "error", text: "Sign-in failed: enter one token (no spaces)." }, 401);
    }
    const result = await adminAuth.authenticate(`Bearer ${token}`);
    if (!result.ok) {
      ctx.logger.warn({ reason: result.reason }, "console sign-in failed");
      return loginPage(c, { kind: "error", text: `Sign-in failed: ${result.reason}.` }, 401);
    }
    if (!isApprover(result.subject, ctx)) {
      ctx.logger.warn({ subject: result.subject.id }, "console sign-in refused: not an approver");
      return loginPage(c, { kind: "error", text: `Signed in as ${result.subject.id}, but that subject has no approver role; the console is for approvers only.` }, 403);
    }
    // Always a fresh id: a session id planted before sign-in is never promoted.
    sessions.close(getCookie(c, SESSION_COOKIE));
    const session = sessions.open(token, result.subject.id);
    deleteCookie(c, LOGIN_COOKIE, { path: CONSOLE_PATH });
    setCookie(c, SESSION_COOKIE, session.id, cookieOptions(c, sessionMaxAgeSec));
    ctx.logger.info({ subject: result.subject.id }, "console sign-in");
    return c.redirect(CONSOLE_PATH, 303);
  });

  // ---- everything else needs a live session whose token still signs in ---------

  app.use(async (c, next) => {
    const session = sessions.get(getCookie(c, SESSION_COOKIE));
    if (!session) return c.redirect(`${CONSOLE_PATH}/login`, 303);
    const result = await adminAuth.authenticate(`Bearer ${session.token}`);
    if (!result.ok || result.subject.id !== session.subjectId || !isApprover(result.subject, ctx)) {
      sessions.close(session.id);
      deleteCookie(c, SESSION_COOKIE, { path: CONSOLE_PATH });
      ctx.logger.warn({ subject: session.subjectId, reason: result.ok ? "no longer an approver" : result.reason }, "console session ended");
      return c.redirect(`${CONSOLE_PATH}/login?m=expired`, 303);
    }
    c.set("session", session);
    c.set("subject", result.subject);
    if (c.req.method === "POST") {
      const form = await readForm(c);
      if (!sameSecret(form["csrf"], session.csrf)) {
        ctx.logger.warn({ subject: session.subjectId, path: c.req.path }, "console post refused: CSRF token missing or wrong");
        return render(c, <MessagePage title="Form refused" viewer={{ subjectId: session.subjectId, csrf: session.csrf }} text="The form was stale or not ours (CSRF token missing or wrong); nothing was decided. Reload the page and try again." />, 403);
      }
      c.set("form", form);
    } else if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      return render(c, <MessagePage title="Not allowed" text={`The console does not accept ${c.req.method} requests.`} />, 400);
    }
    await next();
  });

  const viewer = (c: Context<Env>) => ({ subjectId: c.get("session").subjectId, csrf: c.get("session").csrf });
  const takeFlash = (session: ConsoleSession): Flash | undefined => {
    const flash = session.flash;
    delete session.flash;
    return flash;
  };
  const groupRoles = () => Object.fromEntries(Object.entries(ctx.config.approvals.groups).map(([g, v]) => [g, v.roles]));
  const viewOf = (request: ApprovalRequest, subject: Subject): RequestView => {
    const allowed = mayDecide(request, subject, groupRoles());
    return allowed.ok ? { request } : { request, cannotDecide: allowed.reason };
  };

  app.post("/logout", (c) => {
    sessions.close(c.get("session").id);
    deleteCookie(c, SESSION_COOKIE, { path: CONSOLE_PATH });
    ctx.logger.info({ subject: c.get("session").subjectId }, "console sign-out");
    return c.redirect(`${CONSOLE_PATH}/login?m=signed-out`, 303);
  });

  app.get("/", async (c) => {
    const subject = c.get("subject");
    // Newest first from the store; one more than shown tells whether the queue is longer.
    const visible = (r: ApprovalRequest) => ctx.approvals.visibleTo(r, subject);
    const newest = (await ctx.approvals.store.list({ state: "pending", limit: QUEUE_PAGE + 1 })).filter(visible);
    const more = newest.length > QUEUE_PAGE;
    const pending = newest.slice(0, QUEUE_PAGE).reverse();
    const settled = (await Promise.all(SETTLED.map((state) => ctx.approvals.store.list({ state, limit: recentLimit })))).flat().filter(visible);
    const recent = settled.sort((a, b) => settledAt(b).localeCompare(settledAt(a))).slice(0, recentLimit);
    const flash = takeFlash(c.get("session"));
    return render(
      c,
      <QueuePage viewer={viewer(c)} {...(flash ? { flash } : {})} pending={pending.map((r) => viewOf(r, subject))} more={more} recent={recent} now={ctx.clock().getTime()} />,
    );
  });

  app.get("/requests/:id", async (c) => {
    const request = await ctx.approvals.store.get(c.req.param("id"));
    if (!request || !ctx.approvals.visibleTo(request, c.get("subject"))) return render(c, <MessagePage title="Not found" viewer={viewer(c)} text="There is no approval request with that id." />, 404);
    const flash = takeFlash(c.get("session"));
    return render(c, <DetailPage viewer={viewer(c)} {...(flash ? { flash } : {})} view={viewOf(request, c.get("subject"))} now={ctx.clock().getTime()} />);
  });

  for (const verdict of ["approve", "deny"] as const) {
    app.post(`/requests/:id/${verdict}`, async (c) => {
      const id = c.req.param("id");
      const form = c.get("form");
      const session = c.get("session");
      const result = await ctx.approvals.decide(id, c.get("subject"), "console", verdict === "approve" ? "approved" : "denied", form["reason"] ?? "");
      session.flash = result.ok
        ? { kind: "ok", text: `${verdict === "approve" ? "Approved" : "Denied"} ${result.request.server} · ${result.request.tool} (${result.request.id}).` }
        : { kind: "error", text: `Not ${verdict === "approve" ? "approved" : "denied"}: ${result.message}.` };
      const back = form["back"] === "detail" ? `${CONSOLE_PATH}/requests/${encodeURIComponent(id)}` : CONSOLE_PATH;
      return c.redirect(back, 303);
    });
  }

  app.notFound((c) => render(c, <MessagePage title="Not found" text="The console has no such page." />, 404));
  return app;
}
