// The active request's W3C traceparent, for what outlives the request (an event's delivery links
// back to the request that made the change). Set by start.ts when tracing is on; otherwise none,
// and nothing of OpenTelemetry is loaded.
let source: (() => string | undefined) | undefined;

export function setTraceparentSource(read: () => string | undefined): void {
  source = read;
}

export function currentTraceparent(): string | undefined {
  return source?.();
}
