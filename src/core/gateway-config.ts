/**
 * @module The schema of `mcpgov.yaml`, the gateway's one configuration file,
 * with its defaults. Pure: paths stay as written; the loader resolves them.
 */
import { z } from "zod";
import { AuthSchema } from "./auth-config.js";
import { EnvNameSchema, isLoopbackHost, PathSchema, SecretSourceSchema } from "./config-primitives.js";
import { RegistryEntrySchema } from "./registry-config.js";

// The parts live in their own modules; importers keep reading them from here.
export * from "./auth-config.js";
export * from "./config-primitives.js";
export * from "./registry-config.js";

const GroupNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "expected a group name: letters, digits, '.', '_', '-'");

export const ApprovalsConfigSchema = z
  .strictObject({
    wait_sec: z
      .number()
      .min(0)
      .max(3600)
      .default(30)
      .describe("How long a call waits for a decision before the client is told to retry the identical call; 0 answers at once."),
    progress_interval_sec: z.number().positive().max(300).default(5).describe("How often a waiting call sends MCP progress (when the client asked for progress)."),
    default_expiry_sec: z
      .number()
      .positive()
      .max(30 * 24 * 3600)
      .default(3600)
      .describe("Lifetime of a request (and of its approval) when the policy gives no approval_timeout_sec."),
    default_group: GroupNameSchema.default("default").describe("The queue of requests whose policy names no approver_group."),
    groups: z
      .record(GroupNameSchema, z.strictObject({ roles: z.array(z.string().min(1)).min(1).describe("A subject with any of these roles decides the group's requests.") }))
      .default({ default: { roles: ["approver"] } })
      .describe("Approver groups: a subject holding one of a group's roles (or mcpgov-admin) decides that group's requests."),
    webhook: z
      .strictObject({
        url: z.url({ protocol: /^https?$/ }).describe("Where each new request is POSTed."),
        headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "expected an HTTP header name"), SecretSourceSchema).default({}).describe("Headers of the POST (secrets from the environment or a file)."),
        timeout_ms: z.number().int().positive().max(60_000).default(5_000).describe("A webhook slower than this is logged as failed; the request stays in the queue."),
      })
      .optional()
      .describe("Announces each new request with a JSON POST (no arguments in it)."),
    console_url: z.url().optional().describe("Base URL of the console as approvers reach it; put in webhook messages."),
  })
  .prefault({});
export type ApprovalsConfig = z.infer<typeof ApprovalsConfigSchema>;

const HeaderNameSchema = z.string().regex(/^[A-Za-z0-9-]+$/, "expected an HTTP header name");
/** A header value from the environment or a file, never written into the config text. */
const SecretRefSchema = z.union([z.strictObject({ from_env: EnvNameSchema }), z.strictObject({ from_file: PathSchema })]);

/** The gateway's identity in fleet-wide feeds (decision logs): OPA's `labels`. */
export const GatewayIdentitySchema = z
  .strictObject({
    id: z.string().min(1).max(200).optional().describe("This gateway's id in decision logs; defaults to the host name."),
    labels: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "expected a label name"), z.string())
      .default({})
      .describe("Further labels on every decision-log event (region, environment…); `id` and `version` are set by the gateway."),
  })
  .prefault({});

/**
 * Shipping decision-log events to a collector the way OPA's decision-log
 * plugin does: gzipped JSON arrays POSTed to url + resource, in batches,
 * from a bounded buffer. The audit chain stays the evidence; this feed
 * never holds up or fails a call.
 */
export const DecisionLogsConfigSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).describe("The decision-log service's base URL."),
    resource: z.string().startsWith("/").default("/logs").describe("Path appended to url, as OPA's decision_logs.resource."),
    min_delay_sec: z.number().positive().max(3600).default(1).describe("Shortest wait between uploads."),
    max_delay_sec: z.number().positive().max(3600).default(10).describe("Longest wait between uploads, and the cap of the retry backoff."),
    max_batch_bytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe("Most bytes of JSON (before gzip) in one upload; a single event larger than this is dropped (reason too_large)."),
    buffer_size_limit_events: z
      .number()
      .int()
      .positive()
      .max(1_000_000)
      .default(10_000)
      .describe("Most events waiting for upload; when full the oldest is dropped and counted (mcpgov_decision_logs_dropped_total{reason=\"buffer_full\"})."),
    timeout_ms: z.number().int().positive().max(60_000).default(5_000).describe("How long one upload may take."),
    shutdown_flush_ms: z.number().int().min(0).max(30_000).default(2_000).describe("How long shutdown waits to upload what is buffered; the rest is counted as dropped (reason shutdown)."),
    bearer_token_env: EnvNameSchema.optional().describe("Environment variable holding a token sent as `Authorization: Bearer …`."),
    headers: z.record(HeaderNameSchema, SecretRefSchema).default({}).describe("Further headers, each from_env or from_file (never inline)."),
  })
  .superRefine((logs, ctx) => {
    const url = new URL(logs.url);
    // Credentials go in headers from the environment, never in the URL (it is shown in logs).
    if (url.username !== "" || url.password !== "") ctx.addIssue({ code: "custom", path: ["url"], message: "must not contain credentials: use bearer_token_env or headers" });
    if (logs.min_delay_sec > logs.max_delay_sec) ctx.addIssue({ code: "custom", path: ["min_delay_sec"], message: "must not exceed max_delay_sec" });
    // Decisions carry masked envelopes and a bearer token: not in clear text across a network.
    if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
      ctx.addIssue({ code: "custom", path: ["url"], message: "must be https (plain http only for a loopback address)" });
    }
  });
export type DecisionLogsConfig = z.infer<typeof DecisionLogsConfigSchema>;

/**
 * OpenTelemetry traces over OTLP/HTTP (JSON). Off unless this section or
 * the standard OTEL_* environment turns it on; the environment wins over
 * this section for what it sets (see src/telemetry/tracing-settings.ts).
 */
export const TracingConfigSchema = z
  .strictObject({
    enabled: z.boolean().optional().describe("On or off; absent: on when an endpoint is set here or by OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT. OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn it off."),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("The OTLP/HTTP traces URL, used as written (e.g. http://127.0.0.1:4318/v1/traces); OTEL_EXPORTER_OTLP_TRACES_ENDPOINT overrides it."),
    headers: z.record(HeaderNameSchema, SecretRefSchema).default({}).describe("Headers sent with every export, each from_env or from_file (never inline)."),
    sample_ratio: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe("Share of requests traced, by trace id (a client's sampled flag is not obeyed); OTEL_TRACES_SAMPLER(_ARG) overrides it."),
    service_name: z.string().min(1).max(200).default("mcpgov").describe("service.name of the spans; OTEL_SERVICE_NAME overrides it."),
    timeout_ms: z.number().int().positive().max(60_000).default(10_000).describe("How long one export may take."),
  })
  .superRefine((tracing, ctx) => {
    if (tracing.endpoint === undefined) return;
    const url = new URL(tracing.endpoint);
    if (url.username !== "" || url.password !== "") ctx.addIssue({ code: "custom", path: ["endpoint"], message: "must not contain credentials: use headers" });
  });
export type TracingConfig = z.infer<typeof TracingConfigSchema>;

/**
 * What is wrong with the state settings. The URL is never quoted back: a
 * password in it must not reach a log line.
 */
export function stateIssues(config: { state?: string | undefined; state_password_env?: string | undefined; state_password_file?: string | undefined }): Array<{ path: string[]; message: string }> {
  const issues: Array<{ path: string[]; message: string }> = [];
  if (config.state_password_env !== undefined && config.state_password_file !== undefined) {
    issues.push({ path: ["state_password_file"], message: "set state_password_env or state_password_file, not both" });
  }
  if (config.state === undefined) {
    for (const key of ["state_password_env", "state_password_file"] as const) {
      if (config[key] !== undefined) issues.push({ path: [key], message: "only used with state: postgres://…" });
    }
    return issues;
  }
  let url: URL;
  try {
    url = new URL(config.state);
  } catch {
    return [...issues, { path: ["state"], message: "expected a URL such as postgres://mcpgov@db.internal:5432/mcpgov" }];
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") issues.push({ path: ["state"], message: "only postgres:// (or postgresql://) URLs are supported" });
  if (url.password !== "" || url.searchParams.has("password")) {
    issues.push({ path: ["state"], message: "must not contain a password: put it in the environment variable named by state_password_env, or the file named by state_password_file" });
  }
  if (url.hostname === "") issues.push({ path: ["state"], message: "names no host" });
  return issues;
}

export const SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"] as const;
export const SigningAlgorithmSchema = z.enum(SIGNING_ALGORITHMS);

/** Keys that sign bundles (OPA's `.signatures.json`); with them, every bundle the gateway activates must verify. */
export const BundleSigningConfigSchema = z
  .strictObject({
    keys: z
      .array(
        z.strictObject({
          id: z.string().min(1).describe("The key id: the signature's `kid` header (or `keyid` claim) names it."),
          public_key_file: PathSchema.describe("PEM public key (SPKI), a public JWK, or a JWKS holding a key with this id."),
          algorithm: SigningAlgorithmSchema.default("RS256"),
        }),
      )
      .min(1),
    required: z.boolean().default(true).describe("false accepts an unsigned bundle (a signed one must still verify): for a migration, not for production."),
    scope: z.string().min(1).optional().describe("The `scope` claim every signature must carry (OPA's verification scope)."),
  })
  .superRefine((signing, ctx) => {
    const seen = new Set<string>();
    signing.keys.forEach((key, index) => {
      if (seen.has(key.id)) ctx.addIssue({ code: "custom", path: ["keys", index, "id"], message: `duplicate key id '${key.id}'` });
      seen.add(key.id);
    });
  });
export type BundleSigningConfig = z.infer<typeof BundleSigningConfigSchema>;

/** A bundle server speaking OPA's bundle-service protocol (ETag, optional long polling). */
export const BundleSourceConfigSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).describe("The bundle's URL, e.g. https://bundles.internal/bundles/mcpgov.tar.gz."),
    poll_min_sec: z.number().positive().max(86_400).default(60),
    poll_max_sec: z.number().positive().max(86_400).default(120),
    long_poll_timeout_sec: z
      .number()
      .int()
      .positive()
      .max(3600)
      .optional()
      .describe("Ask the server to hold each request up to this long until the bundle changes (`Prefer: wait=N`); used when the server answers in kind."),
    request_timeout_sec: z.number().positive().max(3600).default(30).describe("How long one download may take (beyond the long-poll wait)."),
  })
  .superRefine((source, ctx) => {
    if (source.poll_min_sec > source.poll_max_sec) ctx.addIssue({ code: "custom", path: ["poll_min_sec"], message: "must not exceed poll_max_sec" });
  });
export type BundleSourceConfig = z.infer<typeof BundleSourceConfigSchema>;

export const GatewayConfigSchema = z
  .strictObject({
    listen: z
      .strictObject({
        host: z.string().min(1).default("127.0.0.1").describe("Listen address; off loopback, auth mode none is refused."),
        port: z.number().int().min(0).max(65535).default(8787).describe("0 picks a free port."),
      })
      .prefault({}),
    data_dir: PathSchema.default(".mcpgov-data").describe("Relative paths resolve against the config file's folder."),
    state: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Where approvals, held outputs and the audit chain live: absent keeps them in SQLite files in data_dir; " +
          "postgres://user@host:port/db keeps them in PostgreSQL, shared by every gateway pointed at it. No password in the URL: " +
          "set state_password_env or state_password_file (or PGPASSWORD in the gateway's environment).",
      ),
    state_password_env: EnvNameSchema.optional().describe("The environment variable holding the PostgreSQL password."),
    state_password_file: PathSchema.optional().describe("A file holding the PostgreSQL password (one trailing line break removed)."),
    audit: z
      .strictObject({
        synchronous: z
          .enum(["full", "normal"])
          .default("full")
          .describe(
            "full: every audit commit is fsynced before the call is answered, so records survive power loss and OS crashes. " +
              "normal: a commit is written to the WAL (the OS page cache) before the call is answered, so records survive the gateway " +
              "being killed, but the last commits can be lost on power loss or an OS crash; the chain stays consistent either way.",
          ),
      })
      .prefault({}),
    bundle: PathSchema.describe("The stamped policy bundle (.tar.gz)."),
    bundle_signing: BundleSigningConfigSchema.optional().describe("Verification keys: when set, an unsigned or wrongly signed bundle is never activated."),
    bundle_source: BundleSourceConfigSchema.optional().describe("Poll a bundle server for new bundles; `bundle` is still the one served from start."),
    auth: AuthSchema,
    admin_auth: AuthSchema.optional().describe(
      "Authentication for the admin API and the approval console, kept apart from MCP clients'; defaults to `auth` (roles still decide what a subject may do).",
    ),
    approvals: ApprovalsConfigSchema,
    fleet: z
      .strictObject({
        gateway_id: z.string().min(1).max(200).optional().describe("This gateway's name in the shared state's heartbeats; default <host>-<pid>-<random>, new for each process."),
        heartbeat_sec: z.number().positive().max(300).default(5).describe("How often the gateway announces its active bundle; a gateway silent for three intervals counts as gone."),
      })
      .prefault({})
      .describe("Gateways sharing one state store (see README, Running a fleet)."),
    shutdown: z
      .strictObject({
        grace_sec: z
          .number()
          .min(0)
          .max(3600)
          .default(30)
          .describe(
            "On SIGTERM/SIGINT: how long calls already running may take to finish (readyz is 503 and new sessions are refused meanwhile); " +
              "calls still running after it are cancelled upstream (notifications/cancelled) and recorded as cancelled by shutdown.",
          ),
      })
      .prefault({})
      .describe("Graceful shutdown (see README, Shutdown)."),
    metrics: z
      .strictObject({
        auth: z
          .enum(["none", "bearer"])
          .default("none")
          .describe("none: /metrics answers anyone who reaches the listener. bearer: /metrics needs `Authorization: Bearer <token>`, the token read from token_env."),
        token_env: EnvNameSchema.optional().describe("With auth bearer: the environment variable holding the scrape token (a missing or empty variable stops the start)."),
      })
      .prefault({})
      .superRefine((m, ctx) => {
        if (m.auth === "bearer" && !m.token_env) ctx.addIssue({ code: "custom", path: ["token_env"], message: "auth bearer needs token_env naming the variable that holds the scrape token" });
      })
      .describe("The Prometheus endpoint /metrics."),
    allowed_origins: z.array(z.string().min(1)).default([]).describe("Browser origins allowed to call; requests with any other Origin are refused."),
    allowed_hosts: z
      .array(z.string().min(1))
      .optional()
      .describe("Host header values accepted (DNS-rebinding protection); defaults to the loopback names when listening on loopback."),
    limits: z
      .strictObject({
        max_body_bytes: z.number().int().positive().default(1024 * 1024).describe("Largest request body accepted (413 above it)."),
        upstream_timeout_sec: z.number().positive().max(3600).default(60).describe("How long a request to a server may take when the policy gives no max_runtime_sec."),
        decision_timeout_ms: z
          .number()
          .int()
          .positive()
          .max(60_000)
          .default(1_000)
          .describe("How long one policy evaluation (decision or output) may run in its worker thread; past it the worker is stopped and the call fails closed (DENY / QUARANTINE)."),
      })
      .prefault({}),
    output: z
      .strictObject({
        max_scan_bytes: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024)
          .describe("Outputs whose text exceeds this many UTF-8 bytes are not scanned; the output library quarantines them as not fully scanned."),
        max_held_bytes: z
          .number()
          .int()
          .positive()
          .default(16 * 1024 * 1024)
          .describe("Quarantined outputs larger than this (as JSON) are withheld but not kept for review."),
        retention_hours: z
          .number()
          .positive()
          .max(24 * 366)
          .default(168)
          .describe("Withheld content older than this is deleted: held items are discarded by the gateway, released ones lose their content."),
      })
      .prefault({})
      .describe("Output safety: scanning limits and what the quarantine store keeps."),
    servers: z.array(RegistryEntrySchema).default([]).describe("The registry: the only servers clients can reach."),
    gateway: GatewayIdentitySchema.describe("This gateway's identity in heartbeats, decision logs and traces."),
    decision_logs: DecisionLogsConfigSchema.optional().describe("Ship OPA-shaped decision-log events to a collector (absent: none are shipped)."),
    tracing: TracingConfigSchema.optional().describe("OpenTelemetry traces of mediated requests over OTLP/HTTP (absent: only the OTEL_* environment can turn them on)."),
  })
  .superRefine((config, ctx) => {
    for (const issue of stateIssues(config)) ctx.addIssue({ code: "custom", ...issue });
    const seen = new Set<string>();
    config.servers.forEach((server, index) => {
      if (seen.has(server.id)) ctx.addIssue({ code: "custom", path: ["servers", index, "id"], message: `duplicate server id '${server.id}'` });
      seen.add(server.id);
    });
    const groups = config.approvals.groups;
    if (!(config.approvals.default_group in groups)) {
      ctx.addIssue({ code: "custom", path: ["approvals", "default_group"], message: `group '${config.approvals.default_group}' is not in approvals.groups` });
    }
    const loopback = isLoopbackHost(config.listen.host);
    if (config.bundle_source !== undefined) {
      const url = new URL(config.bundle_source.url);
      // Over plain http anyone on the path could swap the bundle; a required signature makes that harmless.
      if (url.protocol === "http:" && !isLoopbackHost(url.hostname.replace(/^\[|\]$/g, "")) && config.bundle_signing?.required !== true) {
        ctx.addIssue({ code: "custom", path: ["bundle_source", "url"], message: "must be https (plain http only for a loopback address, or with bundle_signing required)" });
      }
    }
    if (!loopback && config.allowed_hosts === undefined) {
      ctx.addIssue({ code: "custom", path: ["allowed_hosts"], message: "Required when listen.host is not a loopback address (DNS-rebinding protection)" });
    }
    if (!loopback && config.auth.mode === "none") {
      ctx.addIssue({ code: "custom", path: ["auth", "mode"], message: "none is only allowed when listen.host is a loopback address" });
    }
    // The admin API publishes no metadata and checks no endpoint scopes: these keys would be silently ignored there.
    if (config.admin_auth?.mode === "jwt") {
      const admin = config.admin_auth;
      for (const key of ["authorization_servers", "scopes_supported", "resource_name", "resource_documentation"] as const) {
        if (admin[key] !== undefined) ctx.addIssue({ code: "custom", path: ["admin_auth", key], message: "only used in auth (the MCP endpoints' protected resource metadata)" });
      }
      if (admin.required_scopes.length > 0) ctx.addIssue({ code: "custom", path: ["admin_auth", "required_scopes"], message: "only used in auth (the MCP endpoints); admin access is decided by roles" });
    }
    if (!loopback && config.admin_auth?.mode === "none") {
      ctx.addIssue({ code: "custom", path: ["admin_auth", "mode"], message: "none is only allowed when listen.host is a loopback address" });
    }
  })
  .transform((config) => ({
    ...config,
    allowed_hosts: config.allowed_hosts ?? ["127.0.0.1", "localhost", "[::1]"],
  }));

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;
