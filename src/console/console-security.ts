/**
 * @module The console page's own defences: response headers (CSP with no
 * script at all, no framing, no caching, no sniffing), the session cookie's
 * attributes, and the same-origin rule the gateway's Origin check applies
 * to /console.
 */
import type { Context, MiddlewareHandler } from "hono";

export const SESSION_COOKIE = "mcpgov_console";
/** Double-submit cookie for the sign-in form, which has no session yet to hold a CSRF token. */
export const LOGIN_COOKIE = "mcpgov_console_login";
export const CONSOLE_PATH = "/console";

/**
 * No script may run at all; styles only from our own stylesheet; forms only
 * post back to us; nobody may frame the page (clickjacking an approve button).
 */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * `same-origin`, not `no-referrer`: under `no-referrer` browsers send
 * `Origin: null` on form posts (Fetch standard, "serializing a request
 * origin"), which would blind the gateway's Origin check. No URL of ours
 * holds a secret, and nothing leaves for other sites.
 */
export const REFERRER_POLICY = "same-origin";

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header("content-security-policy", CONTENT_SECURITY_POLICY);
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", REFERRER_POLICY);
    c.header("cache-control", "no-store");
    c.header("x-frame-options", "DENY");
    c.header("cross-origin-opener-policy", "same-origin");
    c.header("cross-origin-resource-policy", "same-origin");
  };
}

/** Whether the request reached us over TLS (the cookie is then Secure). Forwarded headers are not trusted. */
export function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/**
 * The console's own pages post forms back to it, so the browser sends our
 * own origin. That origin is accepted for /console only, and only when the
 * Host it names already passed the allowed_hosts check; everything else
 * still needs allowed_origins.
 */
export function isConsoleSameOrigin(path: string, url: string, host: string | undefined, origin: string): boolean {
  if (path !== CONSOLE_PATH && !path.startsWith(`${CONSOLE_PATH}/`)) return false;
  if (!host) return false;
  const scheme = new URL(url).protocol;
  return origin.toLowerCase() === `${scheme}//${host.toLowerCase()}`;
}

export function cookieOptions(c: Context, maxAgeSec: number) {
  return { path: CONSOLE_PATH, httpOnly: true, sameSite: "Strict" as const, secure: isHttps(c), maxAge: maxAgeSec };
}
