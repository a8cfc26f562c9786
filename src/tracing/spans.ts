// What the server's own code needs of tracing. No runtime import: when tracing is off nothing of
// OpenTelemetry is loaded, and every caller holds `undefined` instead of a Spans.

export type SpanValue = string | number | boolean;

export interface OpenSpan {
  set(key: string, value: SpanValue): void;
  /** Marks the span failed; the error's class is recorded, never its message (it may quote input). */
  fail(error?: unknown): void;
  /** Runs `fn` with this span as the active one, so that spans started inside (pg, AWS SDK) are its children. */
  within<T>(fn: () => T): T;
  end(): void;
}

export interface Spans {
  /** A new span, child of the active one, linked to `linkedTo` (a W3C traceparent) when given. Attributes must never hold a token, password or email. */
  start(name: string, attributes?: Record<string, SpanValue>, linkedTo?: string): OpenSpan;
  /** Sets an attribute on the active span, if there is one (the token cache reports hit or miss this way). */
  annotate(key: string, value: SpanValue): void;
}

/** What main.ts gets from starting the SDK. */
export interface Tracing {
  spans: Spans;
  /** The active span's ids, for each log line (pino's mixin). */
  logFields(): Record<string, string>;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}
