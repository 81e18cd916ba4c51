import { SpanKind, SpanStatusCode, context, propagation, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * One server span per HTTP request (`POST /api/v1/users`); everything the handler calls is its
 * child. A caller's W3C traceparent is continued, so a client can follow its request through.
 *
 * Fastify hooks, not a Nest interceptor: the span starts once the body is read (preHandler), the
 * rest of the request (guards, handler, error filter) runs in its context, and it ends when the
 * answer has gone (onResponse), marked failed for a 5xx or an error Fastify saw. Nest's
 * interceptor chain cost an AsyncResource bind and observables on every request.
 */
export function traceRequests(fastify: FastifyInstance): void {
  fastify.addHook('preHandler', (request, _reply, done) => {
    const route = request.routeOptions?.url ?? request.url;
    const parent = propagation.extract(context.active(), request.headers);
    const span = trace
      .getTracer('rustronaut')
      .startSpan(
        `${request.method} ${route}`,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route } },
        parent,
      );
    spans.set(request, span);
    context.with(trace.setSpan(parent, span), done);
  });
  fastify.addHook('onError', (request, _reply, error, done) => {
    spans.get(request)?.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('http.response.status_code', reply.statusCode);
      span.end();
      spans.delete(request);
    }
    done();
  });
}
