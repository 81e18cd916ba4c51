import type * as OtelApi from '@opentelemetry/api';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkTraceNode from '@opentelemetry/sdk-trace-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type * as Semconv from '@opentelemetry/semantic-conventions';

export type TraceExporterKind = 'none' | 'console' | 'otlp';

/**
 * Installs the process's tracer provider: W3C trace context propagation, async-local context, and
 * spans exported by OTLP/HTTP, printed to the console, or kept nowhere (`none`: spans are not
 * recorded, but their context still propagates, so trace ids reach logs and the audit trail).
 */
export function startTracing(
  service: string,
  options: { exporter: TraceExporterKind; endpoint?: string; processors?: SpanProcessor[] },
): { shutdown(): Promise<void> } {
  // The SDK and its exporters (about 25 MB resident) load only in a process that installs tracing:
  // the console's; the gateway and the CLI use the API alone (context, trace ids).
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof Resources;
  const {
    AlwaysOffSampler,
    BatchSpanProcessor,
    ConsoleSpanExporter,
    NodeTracerProvider,
    SimpleSpanProcessor,
  } = require('@opentelemetry/sdk-trace-node') as typeof SdkTraceNode;
  const { ATTR_SERVICE_NAME } = require('@opentelemetry/semantic-conventions') as typeof Semconv;
  const processors: SpanProcessor[] = [...(options.processors ?? [])];
  if (options.exporter === 'otlp')
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: options.endpoint })));
  if (options.exporter === 'console') processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
    spanProcessors: processors,
    // With nowhere to send spans, none is recorded: each is only its context (trace and span ids,
    // carried to logs, error replies, NATS headers and the audit trail as before), which spares
    // every request and projected commit the cost of building spans no one reads.
    ...(processors.length === 0 ? { sampler: new AlwaysOffSampler() } : {}),
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}

let otelApi: typeof OtelApi | undefined;
/** The OpenTelemetry API, loaded on first use: a gateway that never traces does without it. */
const api = () => (otelApi ??= require('@opentelemetry/api') as typeof OtelApi);

export function tracer(): OtelApi.Tracer {
  return api().trace.getTracer('rustronaut');
}

/** The current trace id, for logs and error replies. */
export function currentTraceId(): string | undefined {
  const id = api().trace.getActiveSpan()?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
}
