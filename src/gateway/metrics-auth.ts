/**
 * @module Who may scrape /metrics (config `metrics.auth`): anyone (none), or
 * a scraper holding the bearer token read from `metrics.token_env` at start.
 * A missing or empty token stops the start: a scrape endpoint meant to be
 * closed never opens by accident.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { McpgovError } from "../core/errors.js";

export type MetricsAccess = (authorization: string | undefined) => boolean;

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

export function metricsAccess(config: { auth: "none" | "bearer"; token_env?: string | undefined }, env: Record<string, string | undefined>): MetricsAccess {
  if (config.auth === "none") return () => true;
  const name = config.token_env;
  const token = name ? env[name] : undefined;
  if (!name || !token) {
    throw new McpgovError("config_invalid", `metrics.auth is bearer but ${name ? `the environment variable ${name} (metrics.token_env) is not set or empty` : "metrics.token_env is not set"}`);
  }
  // Compared as digests: equal length for timingSafeEqual, and nothing about the token's length leaks.
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    return match !== null && timingSafeEqual(digest(match[1]!), expected);
  };
}
