// Spans over @opentelemetry/api. Imported only by start.ts, i.e. only when tracing is on.
import { context, SpanStatusCode, trace, TraceFlags, type Link, type Span } from "@opentelemetry/api";
import type { OpenSpan, Spans, SpanValue } from "./spans.ts";

const tracer = trace.getTracer("vrms-backend");

class OtelSpan implements OpenSpan {
  constructor(private readonly span: Span) {}

  set(key: string, value: SpanValue): void {
    this.span.setAttribute(key, value);
  }

  fail(error?: unknown): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR });
    if (error instanceof Error) this.span.setAttribute("error.type", error.name);
  }

  within<T>(fn: () => T): T {
    return context.with(trace.setSpan(context.active(), this.span), fn);
  }

  end(): void {
    this.span.end();
  }
}

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function linkTo(traceparent: string | undefined): Link[] {
  const match = traceparent ? TRACEPARENT_RE.exec(traceparent) : null;
  if (!match) return [];
  return [{ context: { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED, isRemote: true } }];
}

export const otelSpans: Spans = {
  start: (name, attributes, linkedTo) =>
    new OtelSpan(tracer.startSpan(name, { ...(attributes ? { attributes } : {}), links: linkTo(linkedTo) })),
  annotate: (key, value) => trace.getActiveSpan()?.setAttribute(key, value),
};

export function activeTraceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** The active span as a W3C traceparent, for an event written by this request. */
export function activeTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, "0")}`;
}
