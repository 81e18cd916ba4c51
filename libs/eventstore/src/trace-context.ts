import {
  context,
  propagation,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import type { MsgHdrs } from 'nats';
import type { TraceContext } from '@rustronaut/contracts';

const setter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? carrier.keys() : []),
  get: (carrier, key) => carrier?.get(key) || undefined,
};

/** Writes the active trace context (W3C `traceparent`, `tracestate`) into NATS headers. */
export function injectTraceContext(headers: MsgHdrs, ctx: Context = context.active()): TraceContext {
  propagation.inject(ctx, headers, setter);
  const trace: TraceContext = {};
  const traceparent = headers.get('traceparent');
  const tracestate = headers.get('tracestate');
  if (traceparent) trace.traceparent = traceparent;
  if (tracestate) trace.tracestate = tracestate;
  return trace;
}

/** Reads the trace context a publisher put into NATS headers (a root context if there is none). */
export function extractTraceContext(headers: MsgHdrs | undefined): Context {
  return propagation.extract(context.active(), headers, getter);
}
