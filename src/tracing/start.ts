// Starts the OpenTelemetry Node SDK: http, Fastify, pg and AWS SDK instrumentations, traces
// exported as the standard OTEL_* variables say (OTLP over HTTP by default). main.ts imports this
// module only when tracing is on, and before anything it instruments: instrumentations patch
// modules as they load, so one already loaded stays unpatched.
import { register } from "node:module";
import type { IncomingMessage } from "node:http";
import { FastifyOtelInstrumentation } from "@fastify/otel";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { AwsInstrumentation } from "@opentelemetry/instrumentation-aws-sdk";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { ATTR_URL_PATH, ATTR_URL_QUERY } from "@opentelemetry/semantic-conventions";
import { createAddHookMessageChannel } from "import-in-the-middle";
import type { TracingConfig } from "../config.ts";
import { recordUrl } from "../http/recorded-url.ts";
import { setTraceparentSource } from "./current.ts";
import { activeTraceFields, activeTraceparent, otelSpans } from "./otel-spans.ts";
import type { Tracing } from "./spans.ts";

// Probes and scrapes arrive every few seconds from every balancer: traces of them bury the rest.
const UNTRACED = /^\/(healthz|readyz|metrics)(\/|\?|$)/;

export async function startTracing(config: TracingConfig): Promise<Tracing> {
  // ESM imports (pg is one) are patched through import-in-the-middle's loader hook, told by the
  // instrumentations which modules to wrap, so that every other module loads as before.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register("import-in-the-middle/hook.mjs", import.meta.url, registerOptions);

  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    // Traces only: the server's metrics are Prometheus's (/metrics), its logs pino's.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED.test(request.url ?? ""),
        // The path and query as a log line has them (recorded-url.ts), in place of the
        // instrumentation's own: they replace its url.path and url.query, which held every value.
        startIncomingSpanHook: (request: IncomingMessage) => {
          const { path, query } = recordUrl(request.url ?? "/");
          return query === undefined ? { [ATTR_URL_PATH]: path } : { [ATTR_URL_PATH]: path, [ATTR_URL_QUERY]: query };
        },
      }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        // A span per lifecycle hook (eight a request) doubled the cost of tracing; authentication
        // and the profile load have spans of their own, which say more.
        instrumentHooks: false,
        ignorePaths: (route) => UNTRACED.test(route.url),
        // @fastify/otel records the URL with its query string; the path (as recorded-url.ts allows
        // it) says enough, and the server span beside it has the query.
        requestHook: (span, request) => span.setAttribute(ATTR_URL_PATH, recordUrl(request.url).path),
      }),
      // Background work (revocation polls, purges) would start a trace per statement.
      new PgInstrumentation({ requireParentSpan: true }),
      // One span per Cognito call, without the HTTP span beneath it.
      new AwsInstrumentation({ suppressInternalInstrumentation: true }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  setTraceparentSource(activeTraceparent);
  return { spans: otelSpans, logFields: activeTraceFields, shutdown: () => sdk.shutdown() };
}

