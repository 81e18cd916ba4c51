import { context, propagation, trace } from '@opentelemetry/api';
import { currentTraceId, startTracing, tracer } from './tracing';

describe('startTracing with spans kept nowhere (exporter none)', () => {
  const tracing = startTracing('tracing-spec', { exporter: 'none' });
  afterAll(() => tracing.shutdown());

  it('records no span, yet every span has a trace id that its children and the wire carry on', () => {
    const root = tracer().startSpan('request');
    expect(root.isRecording()).toBe(false);
    const traceId = root.spanContext().traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('0'.repeat(32));

    context.with(trace.setSpan(context.active(), root), () => {
      expect(currentTraceId()).toBe(traceId);
      const headers: Record<string, string> = {};
      propagation.inject(context.active(), headers);
      expect(headers.traceparent).toContain(traceId);

      const remote = propagation.extract(context.active(), headers);
      const child = tracer().startSpan('consumer', {}, remote);
      expect(child.spanContext().traceId).toBe(traceId);
      expect(child.spanContext().spanId).not.toBe(root.spanContext().spanId);
      child.end();
    });
    root.end();
  });
});
