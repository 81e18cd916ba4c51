export { currentTraceId, startTracing, tracer, type TraceExporterKind } from './tracing';
export { createLogger, type Logger } from './logger';
