import { describe, expect, it } from "vitest";
import { TracingConfigSchema } from "../core/gateway-config.js";
import { tracingSettings } from "./tracing-settings.js";

const config = (input: Record<string, unknown> = {}) => TracingConfigSchema.parse(input);

describe("tracingSettings", () => {
  it("is off by default: no section, no OTEL_* environment", () => {
    expect(tracingSettings(undefined, {})).toBeUndefined();
    // Unrelated OTEL_* settings alone do not turn it on.
    expect(tracingSettings(undefined, { OTEL_SERVICE_NAME: "x", OTEL_TRACES_SAMPLER: "always_on" })).toBeUndefined();
  });

  it("is on when the section names an endpoint, with the section's values", () => {
    const settings = tracingSettings(config({ endpoint: "http://127.0.0.1:4318/v1/traces", sample_ratio: 0.25, service_name: "gw-eu" }), {});
    expect(settings).toMatchObject({
      endpoint: "http://127.0.0.1:4318/v1/traces",
      sampler: { kind: "traceidratio", ratio: 0.25, parentBased: false },
      serviceName: "gw-eu",
      timeoutMs: 10_000,
    });
  });

  it("is on by the standard environment alone; OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended, the traces endpoint is used as written", () => {
    expect(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })?.endpoint).toBe("http://collector:4318/v1/traces");
    expect(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/otlp/" })?.endpoint).toBe("http://collector:4318/otlp/v1/traces");
    expect(
      tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:9999/custom" })?.endpoint,
    ).toBe("http://b:9999/custom");
    expect(tracingSettings(undefined, { OTEL_TRACES_EXPORTER: "otlp" })?.endpoint).toBe("http://localhost:4318/v1/traces");
  });

  it("lets the environment win over the section, and OTEL_SDK_DISABLED / OTEL_TRACES_EXPORTER=none turn it off whatever the file says", () => {
    const file = config({ endpoint: "http://file:4318/v1/traces", service_name: "file", sample_ratio: 0.5 });
    expect(
      tracingSettings(file, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://env:4318/v1/traces", OTEL_SERVICE_NAME: "env", OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.1" }),
    ).toMatchObject({ endpoint: "http://env:4318/v1/traces", serviceName: "env", sampler: { kind: "traceidratio", ratio: 0.1, parentBased: true } });
    expect(tracingSettings(file, { OTEL_SDK_DISABLED: "true" })).toBeUndefined();
    expect(tracingSettings(file, { OTEL_TRACES_EXPORTER: "none" })).toBeUndefined();
    expect(tracingSettings(config({ endpoint: "http://file:4318/v1/traces", enabled: false }), {})).toBeUndefined();
    expect(tracingSettings(config({ enabled: false }), { OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318" })).toBeUndefined();
    expect(tracingSettings(config({ enabled: false }), { OTEL_TRACES_EXPORTER: "otlp" })).toBeDefined();
  });

  it("merges headers: the section's references, then OTEL_EXPORTER_OTLP_HEADERS, then the traces-specific variable", () => {
    const settings = tracingSettings(config({ endpoint: "http://c:4318/v1/traces", headers: { "x-team": { from_env: "TEAM" } } }), {
      OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20abc,x-a=1",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-a=2",
    });
    expect(settings?.configHeaders).toEqual({ "x-team": { from_env: "TEAM" } });
    expect(settings?.envHeaders).toEqual({ authorization: "Bearer abc", "x-a": "2" });
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: "zipkin" }, /OTEL_TRACES_EXPORTER: .*otlp or none/],
    [{ OTEL_TRACES_EXPORTER: "otlp", OTEL_TRACES_SAMPLER: "sometimes" }, /OTEL_TRACES_SAMPLER: unknown sampler/],
    [{ OTEL_TRACES_EXPORTER: "otlp", OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" }, /OTEL_TRACES_SAMPLER_ARG: expected a ratio/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" }, /OTEL_EXPORTER_OTLP_ENDPOINT: expected an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://user:pw@c:4318/v1/traces" }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must not contain credentials/],
    [{ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, /OTEL_EXPORTER_OTLP_PROTOCOL: .*http\/json/],
    [{ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_HEADERS: "no-equals-sign" }, /OTEL_EXPORTER_OTLP_HEADERS: entry 1/],
    [{ OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_TIMEOUT: "soon" }, /OTEL_EXPORTER_OTLP_TIMEOUT: expected a positive whole number/],
  ])("refuses a bad value, naming the variable: %o", (env, message) => {
    expect(() => tracingSettings(undefined, env)).toThrow(message);
  });

  it("never puts a header's value in its error", () => {
    let message = "";
    try {
      tracingSettings(undefined, { OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_HEADERS: "authorization=%E0%A4%A-secret" });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/OTEL_EXPORTER_OTLP_HEADERS: entry 1 \(authorization\)/);
    expect(message).not.toContain("secret");
  });

  it("refuses credentials in the section's endpoint, naming the field", () => {
    expect(TracingConfigSchema.safeParse({ endpoint: "http://u:p@c:4318/v1/traces" }).error?.issues[0]).toMatchObject({ path: ["endpoint"], message: expect.stringContaining("credentials") });
  });
});
