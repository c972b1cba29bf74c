/**
 * @module The Tracing role on the OpenTelemetry JS SDK: a tracer provider of
 * this gateway's own (never registered globally, so two gateways in one
 * process, or a host application, keep their own), batching spans to an
 * OTLP/HTTP exporter with JSON bodies. Parents are passed explicitly as
 * contexts, so no global context manager or propagator is installed either.
 */
import { resolve } from "node:path";
import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { resolveSecretMap } from "../config/secrets.js";
import { describeThrown } from "../core/errors.js";
import { formatTraceparent } from "../core/traceparent.js";
import type { Logger } from "../logger.js";
import * as attr from "./attributes.js";
import { type AttributeValue, type CallTrace, type CallTraceStart, callSpanName, type Tracing, type TraceSpan } from "./call-trace.js";
import type { TracingSettings } from "./tracing-settings.js";

export interface TracingDeps {
  env: Record<string, string | undefined>;
  /** Base for `from_file` header paths. */
  configDir: string;
  logger: Logger;
  /** The gateway's version, as service.version. */
  version?: string;
  /** Milliseconds between batch exports (the SDK default is 5000). */
  scheduledDelayMs?: number;
}

function samplerFor(settings: TracingSettings["sampler"]): Sampler {
  const root = settings.kind === "always_on" ? new AlwaysOnSampler() : settings.kind === "always_off" ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(settings.ratio);
  return settings.parentBased ? new ParentBasedSampler({ root }) : root;
}

/** The exporter, with failures logged (the reason only: never headers). */
function loggingExporter(inner: SpanExporter, logger: Logger, endpoint: string): SpanExporter {
  return {
    export(spans: ReadableSpan[], done) {
      inner.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) {
          logger.warn({ endpoint, spans: spans.length, error: result.error ? describeThrown(result.error) : "unknown" }, "trace export failed; these spans are dropped");
        }
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    ...(inner.forceFlush ? { forceFlush: () => inner.forceFlush!() } : {}),
  };
}

class OtelSpan implements TraceSpan {
  constructor(protected readonly span: Span) {}

  set(key: string, value: AttributeValue | undefined): void {
    if (value !== undefined) this.span.setAttribute(key, value as string | number | boolean | string[]);
  }

  fail(message: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  traceparent(): string | undefined {
    const context = this.span.spanContext();
    return formatTraceparent({ traceId: context.traceId, spanId: context.spanId, flags: context.traceFlags });
  }

  end(): void {
    this.span.end();
  }
}

class OtelCallTrace extends OtelSpan implements CallTrace {
  readonly traceId: string;

  constructor(
    private readonly tracer: Tracer,
    span: Span,
  ) {
    super(span);
    this.traceId = span.spanContext().traceId;
  }

  child(name: string, kind: "internal" | "client" = "internal"): TraceSpan {
    const parent = trace.setSpan(ROOT_CONTEXT, this.span);
    return new OtelSpan(this.tracer.startSpan(name, { kind: kind === "client" ? SpanKind.CLIENT : SpanKind.INTERNAL }, parent));
  }
}

/** Starts tracing with these settings; throws (naming the field) when a header secret cannot be read. */
export async function startOtelTracing(settings: TracingSettings, deps: TracingDeps): Promise<Tracing> {
  const sources = Object.fromEntries(
    Object.entries(settings.configHeaders).map(([name, ref]) => [name, "from_file" in ref ? { from_file: resolve(deps.configDir, ref.from_file) } : ref]),
  );
  const headers = { ...(await resolveSecretMap(sources, "tracing.headers", deps.env)), ...settings.envHeaders };
  const exporter = new OTLPTraceExporter({ url: settings.endpoint, headers, timeoutMillis: settings.timeoutMs });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, ...(deps.version ? { [ATTR_SERVICE_VERSION]: deps.version } : {}) }),
    sampler: samplerFor(settings.sampler),
    spanProcessors: [
      new BatchSpanProcessor(loggingExporter(exporter, deps.logger, settings.endpoint), {
        ...(deps.scheduledDelayMs !== undefined ? { scheduledDelayMillis: deps.scheduledDelayMs } : {}),
        exportTimeoutMillis: settings.timeoutMs,
      }),
    ],
  });
  const tracer = provider.getTracer("mcpgov", deps.version);
  let stopped: Promise<void> | undefined;

  return {
    startCall(start: CallTraceStart): CallTrace {
      const parent = start.parent
        ? trace.setSpanContext(ROOT_CONTEXT, { traceId: start.parent.traceId, spanId: start.parent.spanId, traceFlags: start.parent.flags & 1, isRemote: true })
        : ROOT_CONTEXT;
      const span = tracer.startSpan(callSpanName(start), { kind: SpanKind.SERVER }, parent);
      const call = new OtelCallTrace(tracer, span);
      if (span.isRecording()) {
        call.set(attr.MCP_METHOD_NAME, start.method);
        call.set(attr.SERVER_ID, start.serverId);
        call.set(attr.NETWORK_TRANSPORT, start.transport === "stdio" ? "pipe" : "tcp");
        call.set(attr.JSONRPC_REQUEST_ID, start.requestId);
        call.set(attr.MCP_SESSION_ID, start.sessionId);
        if (start.tool !== undefined) {
          call.set(attr.GEN_AI_TOOL_NAME, start.tool);
          call.set(attr.GEN_AI_OPERATION_NAME, "execute_tool");
        }
        call.set(attr.GEN_AI_PROMPT_NAME, start.prompt);
      }
      return call;
    },
    async flush() {
      // A failed export was logged by the exporter; tracing never fails its caller.
      await provider.forceFlush().catch(() => undefined);
    },
    shutdown() {
      stopped ??= provider.shutdown().catch((error: unknown) => deps.logger.warn({ error: describeThrown(error) }, "tracing did not shut down cleanly"));
      return stopped;
    },
  };
}
