/**
 * @module What tracing does, from the config's `tracing:` section and the
 * standard OTEL_* environment. Pure: reads the values it is handed, opens
 * nothing. Precedence, as for every setting: environment > file > defaults.
 *
 * - Off by default. OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn
 *   it off whatever the file says; OTEL_TRACES_EXPORTER=otlp turns it on;
 *   otherwise `tracing.enabled` decides, and when that is absent, tracing is
 *   on exactly when an endpoint is known (file or environment).
 * - Endpoint: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as written >
 *   OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces" > tracing.endpoint >
 *   http://localhost:4318/v1/traces.
 * - Headers: tracing.headers, then OTEL_EXPORTER_OTLP_HEADERS, then
 *   OTEL_EXPORTER_OTLP_TRACES_HEADERS (a later one wins per header).
 * - Sampler: OTEL_TRACES_SAMPLER (+ _ARG) > tracing.sample_ratio (by trace id;
 *   a client's sampled flag is not obeyed, it is untrusted input).
 * - service.name: OTEL_SERVICE_NAME > tracing.service_name.
 */
import { McpgovError } from "../core/errors.js";
import type { TracingConfig } from "../core/gateway-config.js";

export type SamplerKind = "always_on" | "always_off" | "traceidratio";

export interface TracingSettings {
  /** The OTLP/HTTP traces URL, used as is. */
  endpoint: string;
  /** Headers from the config: secret references, resolved by the adapter. */
  configHeaders: TracingConfig["headers"];
  /** Headers from OTEL_EXPORTER_OTLP_(TRACES_)HEADERS, already plain text. */
  envHeaders: Record<string, string>;
  sampler: { kind: SamplerKind; ratio: number; parentBased: boolean };
  serviceName: string;
  timeoutMs: number;
}

type Env = Record<string, string | undefined>;

const DEFAULT_ENDPOINT = "http://localhost:4318/v1/traces";
const SAMPLERS: Record<string, { kind: SamplerKind; parentBased: boolean }> = {
  always_on: { kind: "always_on", parentBased: false },
  always_off: { kind: "always_off", parentBased: false },
  traceidratio: { kind: "traceidratio", parentBased: false },
  parentbased_always_on: { kind: "always_on", parentBased: true },
  parentbased_always_off: { kind: "always_off", parentBased: true },
  parentbased_traceidratio: { kind: "traceidratio", parentBased: true },
};

function bad(variable: string, problem: string): McpgovError {
  return new McpgovError("config_invalid", `${variable}: ${problem}`, { data: { diagnostics: [{ file: variable, message: problem }] } });
}

const set = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
};

function httpUrl(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(variable, "expected an http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw bad(variable, "expected an http(s) URL");
  if (url.username !== "" || url.password !== "") throw bad(variable, "must not contain credentials: use OTEL_EXPORTER_OTLP_HEADERS");
  return url.href;
}

/** `key=value,key2=value2`, values URL-encoded (the OTLP exporter spec's format). */
function parseHeaders(variable: string, value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value === undefined) return headers;
  for (const [i, pair] of value.split(",").entries()) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    const name = eq < 0 ? "" : pair.slice(0, eq).trim();
    // Never the value in the message: headers carry credentials.
    if (!/^[A-Za-z0-9-]+$/.test(name)) throw bad(variable, `entry ${i + 1}: expected name=value with an HTTP header name`);
    let decoded: string;
    try {
      decoded = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw bad(variable, `entry ${i + 1} (${name}): the value is not valid URL encoding`);
    }
    headers[name.toLowerCase()] = decoded;
  }
  return headers;
}

function positiveInt(variable: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) === 0) throw bad(variable, "expected a positive whole number of milliseconds");
  return Number(value);
}

function samplerFrom(env: Env, config: TracingConfig | undefined): TracingSettings["sampler"] {
  const name = set(env, "OTEL_TRACES_SAMPLER");
  if (name === undefined) return { kind: "traceidratio", ratio: config?.sample_ratio ?? 1, parentBased: false };
  const known = SAMPLERS[name.toLowerCase()];
  if (!known) throw bad("OTEL_TRACES_SAMPLER", `unknown sampler; expected one of ${Object.keys(SAMPLERS).join(", ")}`);
  const arg = set(env, "OTEL_TRACES_SAMPLER_ARG");
  let ratio = 1;
  if (known.kind === "traceidratio" && arg !== undefined) {
    ratio = Number(arg);
    if (!/^\d*\.?\d+$/.test(arg) || ratio < 0 || ratio > 1) throw bad("OTEL_TRACES_SAMPLER_ARG", "expected a ratio between 0 and 1");
  }
  return { ...known, ratio };
}

/** The settings tracing runs with, or undefined when it is off. Throws config_invalid naming the variable for a bad OTEL_* value. */
export function tracingSettings(config: TracingConfig | undefined, env: Env): TracingSettings | undefined {
  if (set(env, "OTEL_SDK_DISABLED")?.toLowerCase() === "true") return undefined;
  const exporter = set(env, "OTEL_TRACES_EXPORTER")?.toLowerCase();
  if (exporter !== undefined && exporter !== "otlp" && exporter !== "none") throw bad("OTEL_TRACES_EXPORTER", "mcpgov exports traces only over OTLP: expected otlp or none");
  if (exporter === "none") return undefined;

  const tracesEndpoint = set(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const baseEndpoint = set(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  const envEndpoint =
    tracesEndpoint !== undefined
      ? httpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", tracesEndpoint)
      : baseEndpoint !== undefined
        ? new URL("v1/traces", httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", baseEndpoint.endsWith("/") ? baseEndpoint : `${baseEndpoint}/`)).href
        : undefined;
  const on = exporter === "otlp" || (config?.enabled ?? (envEndpoint !== undefined || config?.endpoint !== undefined));
  if (!on) return undefined;

  for (const variable of ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"]) {
    const protocol = set(env, variable);
    if (protocol !== undefined && protocol !== "http/json") throw bad(variable, "mcpgov exports OTLP/HTTP with JSON bodies: set http/json or leave it unset");
    if (protocol !== undefined) break;
  }
  return {
    endpoint: envEndpoint ?? config?.endpoint ?? DEFAULT_ENDPOINT,
    configHeaders: config?.headers ?? {},
    envHeaders: {
      ...parseHeaders("OTEL_EXPORTER_OTLP_HEADERS", set(env, "OTEL_EXPORTER_OTLP_HEADERS")),
      ...parseHeaders("OTEL_EXPORTER_OTLP_TRACES_HEADERS", set(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS")),
    },
    sampler: samplerFrom(env, config),
    serviceName: set(env, "OTEL_SERVICE_NAME") ?? config?.service_name ?? "mcpgov",
    timeoutMs: positiveInt("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", set(env, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")) ?? positiveInt("OTEL_EXPORTER_OTLP_TIMEOUT", set(env, "OTEL_EXPORTER_OTLP_TIMEOUT")) ?? config?.timeout_ms ?? 10_000,
  };
}
