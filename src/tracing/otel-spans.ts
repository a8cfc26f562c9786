// Spans over @opentelemetry/api. Imported only by start.ts, i.e. only when tracing is on.
import { context, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
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

export const otelSpans: Spans = {
  start: (name, attributes) => new OtelSpan(tracer.startSpan(name, attributes ? { attributes } : {})),
  annotate: (key, value) => trace.getActiveSpan()?.setAttribute(key, value),
};

export function activeTraceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
