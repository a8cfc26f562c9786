// An OTLP/HTTP receiver for the tracing tests: what the server's OpenTelemetry SDK exports.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  /** Spans of other traces this one is linked to (a webhook delivery: the request that made the change). */
  links?: { traceId: string; spanId: string }[];
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

/** An OTLP/HTTP receiver for http/json: every body as received, and the spans in them. */
export async function startReceiver() {
  const bodies: string[] = [];
  const spans: ExportedSpan[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      bodies.push(body);
      if (req.url === "/v1/traces") {
        const parsed = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: (Omit<ExportedSpan, "attributes"> & { attributes?: { key: string; value: OtlpValue }[] })[] }[] }[] };
        for (const resource of parsed.resourceSpans) {
          for (const scope of resource.scopeSpans) {
            for (const span of scope.spans) {
              const attributes = Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, Object.values(value)[0]]));
              spans.push({ ...span, attributes });
            }
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, spans, close: () => server.close() };
}

