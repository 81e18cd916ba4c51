import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export type TraceExporterKind = 'none' | 'console' | 'otlp';

/**
 * Installs the process's tracer provider: W3C trace context propagation, async-local context, and
 * spans exported by OTLP/HTTP, printed to the console, or kept nowhere (`none`: context still
 * propagates, so trace ids reach logs and the audit trail).
 */
export function startTracing(
  service: string,
  options: { exporter: TraceExporterKind; endpoint?: string; processors?: SpanProcessor[] },
): { shutdown(): Promise<void> } {
  const processors: SpanProcessor[] = [...(options.processors ?? [])];
  if (options.exporter === 'otlp')
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: options.endpoint })));
  if (options.exporter === 'console') processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
    spanProcessors: processors,
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}

export function tracer(): Tracer {
  return trace.getTracer('rustronaut');
}

/** The current trace id, for logs and error replies. */
export function currentTraceId(): string | undefined {
  const id = trace.getActiveSpan()?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
}
