import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic, McpgovError } from "../core/errors.js";
import { loadGatewayConfig, lockPathFor, parseGatewayConfig } from "./config.js";

const BASE = `bundle: bundles/reference.tar.gz
auth:
  mode: none
`;

/** The diagnostics of a config that must not load, as the CLI prints them. */
function problems(text: string, options: Parameters<typeof parseGatewayConfig>[2] = {}): string[] {
  try {
    parseGatewayConfig(text, "mcpgov.yaml", options);
  } catch (error) {
    expect(error).toBeInstanceOf(McpgovError);
    expect((error as McpgovError).code).toBe("config_invalid");
    return ((error as McpgovError).data.diagnostics ?? []).map(formatDiagnostic);
  }
  throw new Error("expected the config to be refused");
}

describe("mcpgov.yaml validation", () => {
  it("names the line of a bad output size limit", () => {
    expect(problems(`${BASE}output:\n  max_scan_bytes: 0\n  max_held_bytes: lots\n`)).toEqual([
      expect.stringMatching(/^mcpgov\.yaml:5: output\.max_scan_bytes: /),
      expect.stringMatching(/^mcpgov\.yaml:6: output\.max_held_bytes: /),
    ]);
    expect(parseGatewayConfig(`${BASE}output: {max_scan_bytes: 4096}\n`, "mcpgov.yaml").output).toEqual({ max_scan_bytes: 4096, max_held_bytes: 16 * 1024 * 1024, retention_hours: 168 });
  });

  it("names the line and field of a missing command", () => {
    const text = `${BASE}servers:
  - id: one
    transport: { type: stdio, command: node }
  - id: two
    transport:
      type: stdio
      args: [server.js]
`;
    expect(problems(text)).toEqual(["mcpgov.yaml:8: servers[1].transport.command: Required"]);
  });

  it("names the line of a wrong action, an unknown key and a bad slug together", () => {
    const text = `${BASE}lisen:
  port: 1
servers:
  - id: Files_1
    transport: { type: stdio, command: node }
    tools:
      read_file: reed
`;
    expect(problems(text)).toEqual([
      "mcpgov.yaml:4: lisen: unknown setting",
      expect.stringMatching(/^mcpgov\.yaml:7: servers\[0\]\.id: expected a slug/),
      'mcpgov.yaml:10: servers[0].tools.read_file.action: Invalid option: expected one of "read"|"write"|"destructive"',
    ]);
  });

  it("refuses a config without auth: running unauthenticated must be a choice", () => {
    expect(problems("bundle: b.tar.gz\n")).toEqual([
      "mcpgov.yaml:1: auth: Required: set auth.mode to jwt, api_keys or none (none must be chosen explicitly)",
    ]);
    expect(problems("bundle: b.tar.gz\nauth: {}\n")).toEqual([expect.stringMatching(/^mcpgov\.yaml:2: auth\.mode: Required/)]);
  });

  it("accepts mode none explicitly, with a warning, and only on loopback", () => {
    const config = parseGatewayConfig(BASE, "mcpgov.yaml");
    expect(config.auth).toEqual({ mode: "none", scopes: [] });
    expect(config.warnings).toEqual([expect.stringContaining("auth.mode is none")]);
    expect(problems(`${BASE}listen: { host: 0.0.0.0 }\nallowed_hosts: [gw.example.com]\n`)).toEqual([
      "mcpgov.yaml:3: auth.mode: none is only allowed when listen.host is a loopback address",
    ]);
  });

  it("requires allowed_hosts off loopback and defaults it on loopback", () => {
    expect(problems(`${BASE}listen: { host: 0.0.0.0 }\n`)).toContain(
      "mcpgov.yaml:1: allowed_hosts: Required when listen.host is not a loopback address (DNS-rebinding protection)",
    );
    expect(parseGatewayConfig(BASE, "mcpgov.yaml").allowed_hosts).toEqual(["127.0.0.1", "localhost", "[::1]"]);
  });

  it("refuses inline API keys unless allowed, and warns when they are", () => {
    const keys = `bundle: b.tar.gz
auth:
  mode: api_keys
  keys:
    - { id: dev, key: not-a-real-key-0123456789, subject: alice }
`;
    expect(problems(keys)).toEqual([expect.stringMatching(/^mcpgov\.yaml:5: auth\.keys\[0\]\.key: inline keys are refused/)]);
    const allowed = parseGatewayConfig(keys.replace("mode: api_keys", "mode: api_keys\n  allow_inline_keys: true"), "mcpgov.yaml");
    expect(allowed.warnings).toEqual([expect.stringContaining("inline API key 'dev'")]);
  });

  it("requires exactly one JWT key source and an issuer (the audience defaults to this resource)", () => {
    const jwt = `bundle: b.tar.gz
auth:
  mode: jwt
  jwks_url: http://idp.example.com/jwks.json
  shared_secret_env: JWT_SECRET
`;
    expect(problems(jwt)).toEqual(["mcpgov.yaml:2: auth.issuer: Required"]);
    expect(problems(`${jwt}  issuer: https://idp.example.com\n  audience: mcpgov\n`)).toEqual([
      "mcpgov.yaml:2: auth: set exactly one of jwks_url, public_key_file, shared_secret_env",
      "mcpgov.yaml:4: auth.jwks_url: must be https (plain http only for a loopback address)",
    ]);
  });

  it("takes the OAuth resource settings and refuses a resource with a path, plain http off loopback, and bad scope tokens", () => {
    const jwt = `bundle: b.tar.gz
auth:
  mode: jwt
  jwks_url: https://idp.example.com/jwks.json
  issuer: https://idp.example.com
`;
    const ok = parseGatewayConfig(
      `${jwt}  resource: https://gw.example.com\n  authorization_servers: [https://idp.example.com]\n  scopes_supported: [mcp:read, mcp:write]\n  required_scopes: [mcp:read]\n`,
      "mcpgov.yaml",
    );
    expect(ok.auth).toMatchObject({ resource: "https://gw.example.com", authorization_servers: ["https://idp.example.com"], required_scopes: ["mcp:read"] });
    expect(ok.warnings).toEqual([]);
    // Off loopback without a resource, clients would be told http://<Host>: said at start-up.
    const derived = parseGatewayConfig(`${jwt}listen: {host: 0.0.0.0}\nallowed_hosts: [gw.example.com]\n`, "mcpgov.yaml");
    expect(derived.warnings).toEqual([expect.stringContaining("auth.resource is not set")]);
    // admin_auth shares the JWT settings, but publishes nothing and checks no endpoint scopes.
    expect(problems(`${jwt}admin_auth:\n  mode: jwt\n  jwks_url: https://idp.example.com/jwks.json\n  issuer: https://idp.example.com\n  required_scopes: [mcp:read]\n`)).toEqual([
      "mcpgov.yaml:10: admin_auth.required_scopes: only used in auth (the MCP endpoints); admin access is decided by roles",
    ]);
    expect(problems(`${jwt}  resource: https://gw.example.com/mcpgov\n`)).toEqual([
      "mcpgov.yaml:6: auth.resource: must be scheme://host[:port] only (no path, query, fragment or credentials)",
    ]);
    expect(problems(`${jwt}  resource: http://gw.example.com\n`)).toEqual(["mcpgov.yaml:6: auth.resource: must be https (plain http only for a loopback address)"]);
    expect(problems(`${jwt}  required_scopes: ["mcp read"]\n`)).toEqual([
      `mcpgov.yaml:6: auth.required_scopes[0]: expected an OAuth scope token: printable ASCII without spaces, '"' or '\\'`,
    ]);
  });

  it("reports duplicate server ids and YAML syntax errors by line", () => {
    const dup = `${BASE}servers:
  - { id: a, transport: { type: stdio, command: node } }
  - { id: a, transport: { type: stdio, command: node } }
`;
    expect(problems(dup)).toEqual(["mcpgov.yaml:6: servers[1].id: duplicate server id 'a'"]);
    expect(problems(`${BASE}servers: [\n`)).toEqual([expect.stringMatching(/^mcpgov\.yaml:\d+: YAML: /)]);
  });

  it("applies defaults and resolves file paths against the config's folder", () => {
    const config = parseGatewayConfig(
      `${BASE}servers:
  - id: files
    transport:
      type: stdio
      command: ./bin/server
      env: { TOKEN: { from_env: FILES_TOKEN }, DB: { path: data/db.sqlite }, MODE: fast }
    roots: [sandbox]
    tools: { read_file: read }
`,
      "/etc/mcpgov/mcpgov.yaml",
    );
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 8787 });
    expect(config.limits).toEqual({ max_body_bytes: 1048576, upstream_timeout_sec: 60, decision_timeout_ms: 1_000 });
    expect(config.output).toEqual({ max_scan_bytes: 8 * 1024 * 1024, max_held_bytes: 16 * 1024 * 1024, retention_hours: 168 });
    expect(config.data_dir).toBe("/etc/mcpgov/.mcpgov-data");
    expect(config.bundle).toBe("/etc/mcpgov/bundles/reference.tar.gz");
    const server = config.servers[0]!;
    expect(server.trusted).toBe(false);
    expect(server.roots).toEqual(["/etc/mcpgov/sandbox"]);
    expect(server.tools).toEqual({ read_file: { action: "read", risk_tags: [] } });
    expect(server.transport).toEqual({
      type: "stdio",
      command: "/etc/mcpgov/bin/server",
      args: [],
      cwd: "/etc/mcpgov",
      env: { TOKEN: { from_env: "FILES_TOKEN" }, DB: { path: "/etc/mcpgov/data/db.sqlite" }, MODE: "fast" },
    });
    expect(config.source.lock_path).toBe("/etc/mcpgov/mcpgov.lock.json");
    expect(lockPathFor("config/demo.mcpgov.yaml")).toMatch(/config\/demo\.mcpgov\.lock\.json$/);
  });
});

describe("precedence: flags > MCPGOV_* environment > file > defaults", () => {
  const file = `${BASE}listen: { port: 9000 }\ndata_dir: state\n`;
  const env = { MCPGOV_LISTEN_PORT: "9100", MCPGOV_DATA_DIR: "env-state", MCPGOV_BUNDLE: "/srv/env.tar.gz" };

  it("takes each value from the strongest source that sets it", () => {
    expect(parseGatewayConfig(BASE, "/cfg/mcpgov.yaml").listen.port).toBe(8787);
    expect(parseGatewayConfig(file, "/cfg/mcpgov.yaml").listen.port).toBe(9000);
    const fromEnv = parseGatewayConfig(file, "/cfg/mcpgov.yaml", { env, cwd: "/work" });
    expect(fromEnv.listen.port).toBe(9100);
    expect(fromEnv.bundle).toBe("/srv/env.tar.gz");
    const fromFlags = parseGatewayConfig(file, "/cfg/mcpgov.yaml", { env, cwd: "/work", overrides: { listen: { port: 9200 }, data_dir: "flag-state" } });
    expect(fromFlags.listen.port).toBe(9200);
    expect(fromFlags.listen.host).toBe("127.0.0.1");
    expect(fromFlags.data_dir).toBe("/work/flag-state");
  });

  it("resolves file paths against the file's folder and environment paths against the working directory", () => {
    expect(parseGatewayConfig(file, "/cfg/mcpgov.yaml").data_dir).toBe("/cfg/state");
    expect(parseGatewayConfig(file, "/cfg/mcpgov.yaml", { env, cwd: "/work" }).data_dir).toBe("/work/env-state");
  });

  it("takes limits.decision_timeout_ms from --decision-timeout-ms over MCPGOV_DECISION_TIMEOUT_MS over the file", () => {
    const limited = `${BASE}limits: { decision_timeout_ms: 500 }\n`;
    expect(parseGatewayConfig(limited, "/cfg/mcpgov.yaml").limits.decision_timeout_ms).toBe(500);
    const timeoutEnv = { MCPGOV_DECISION_TIMEOUT_MS: "750" };
    expect(parseGatewayConfig(limited, "/cfg/mcpgov.yaml", { env: timeoutEnv }).limits.decision_timeout_ms).toBe(750);
    expect(parseGatewayConfig(limited, "/cfg/mcpgov.yaml", { env: timeoutEnv, overrides: { limits: { decision_timeout_ms: 100 } } }).limits.decision_timeout_ms).toBe(100);
    expect(problems(limited, { env: { MCPGOV_DECISION_TIMEOUT_MS: "soon" } })).toEqual([
      "MCPGOV_DECISION_TIMEOUT_MS: limits.decision_timeout_ms: Invalid input: expected number, received string",
    ]);
  });

  it("names the variable, not a line, when an environment value is wrong", () => {
    expect(problems(file, { env: { MCPGOV_LISTEN_PORT: "eighty" } })).toEqual([
      "MCPGOV_LISTEN_PORT: listen.port: Invalid input: expected number, received string",
    ]);
  });
});

describe("secrets at load", () => {
  const dir = mkdtempSync(join(tmpdir(), "mcpgov-config-"));
  const path = join(dir, "mcpgov.yaml");
  writeFileSync(
    path,
    `bundle: b.tar.gz
auth:
  mode: api_keys
  keys:
    - { id: ci, key_env: CI_KEY, subject: ci-bot }
servers:
  - id: gh
    transport:
      type: streamable_http
      url: https://mcp.example.com/mcp
      headers:
        Authorization: { from_env: GH_TOKEN }
`,
  );

  it("refuses to start when a referenced variable is missing, naming field, line and variable but no value", async () => {
    const env = { CI_KEY: "present-secret-value-123456" };
    const error = await loadGatewayConfig(path, { env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpgovError);
    const lines = ((error as McpgovError).data.diagnostics ?? []).map(formatDiagnostic);
    expect(lines).toEqual([`${path}:12: servers[0].transport.headers.Authorization: environment variable GH_TOKEN is not set`]);
    expect(JSON.stringify((error as McpgovError).data) + (error as Error).message).not.toContain("present-secret-value");
  });

  it("loads when every secret is there, without holding any value", async () => {
    const config = await loadGatewayConfig(path, { env: { CI_KEY: "x".repeat(20), GH_TOKEN: "token-value" } });
    expect(JSON.stringify(config)).not.toContain("token-value");
    expect(config.auth.mode).toBe("api_keys");
  });
});

describe("state on PostgreSQL", () => {
  it("keeps SQLite by default and takes a postgres:// URL with the password from the environment or a file", () => {
    expect(parseGatewayConfig(BASE, "mcpgov.yaml").state).toBeUndefined();
    const pg = parseGatewayConfig(`${BASE}state: postgres://mcpgov@db.internal:5432/mcpgov\nstate_password_env: MCPGOV_PG_PASSWORD\n`, "/cfg/mcpgov.yaml", { secrets: "skip" });
    expect(pg).toMatchObject({ state: "postgres://mcpgov@db.internal:5432/mcpgov", state_password_env: "MCPGOV_PG_PASSWORD" });
    const fromFile = parseGatewayConfig(`${BASE}state: postgresql://mcpgov@db/mcpgov\nstate_password_file: secrets/pg\n`, "/cfg/mcpgov.yaml", { secrets: "skip" });
    expect(fromFile.state_password_file).toBe("/cfg/secrets/pg");
    expect(parseGatewayConfig(BASE, "mcpgov.yaml", { env: { MCPGOV_STATE: "postgres://gw@db/mcpgov" } }).state).toBe("postgres://gw@db/mcpgov");
  });

  it("refuses a URL with a password, without repeating it", () => {
    const lines = problems(`${BASE}state: postgres://mcpgov:hunter2@db.internal:5432/mcpgov\n`);
    expect(lines).toEqual([expect.stringMatching(/^mcpgov\.yaml:4: state: must not contain a password/)]);
    expect(lines.join("\n")).not.toContain("hunter2");
    expect(problems(`${BASE}state: postgres://mcpgov@db/mcpgov?sslmode=require&password=hunter2\n`)).toEqual([expect.stringContaining("must not contain a password")]);
  });

  it("refuses other schemes, both password sources, and a password source without state", () => {
    expect(problems(`${BASE}state: mysql://db/mcpgov\n`)).toEqual([expect.stringContaining("state: only postgres://")]);
    expect(problems(`${BASE}state: postgres://gw@db/m\nstate_password_env: A\nstate_password_file: b\n`)).toEqual([expect.stringContaining("not both")]);
    expect(problems(`${BASE}state_password_env: PGPASS\n`)).toEqual([expect.stringContaining("state_password_env: only used with state")]);
  });
});
