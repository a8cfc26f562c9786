// Composition: config → keys, verifier, database, Cognito client → the app, listening.
import type { FastifyInstance } from "fastify";
import type { DestinationStream, Logger } from "pino";
import { buildApp } from "./app.ts";
import { KeyStore } from "./auth/jwks-cache.ts";
import { createTokenVerifier } from "./auth/verifier.ts";
import { cognitoAttributeSource, cognitoIdentityProvider, createCognitoClient } from "./cognito/client.ts";
import { sessionLifetime } from "./sessions/lifetime.ts";
import { RevocationStore } from "./sessions/revocations.ts";
import type { Config } from "./config.ts";
import { openDatabase } from "./db/client.ts";
import type { Metrics } from "./http/metrics.ts";
import { listenerClosed, trackSilentConnections } from "./http/silent-connections.ts";
import { createLogger } from "./logging.ts";
import type { Spans, Tracing } from "./tracing/spans.ts";
import { WebhookDispatcher } from "./webhooks/dispatcher.ts";

export interface RunningServer {
  url: string;
  logger: Logger;
  /** Every route registered, as "METHOD /path". */
  routes: string[];
  /** A request handled as if it came over the listener, without a socket (tests that need none). */
  inject: FastifyInstance["inject"];
  /** /readyz turns 503 at once while requests are still served (the shutdown delay). */
  stopReadiness(): void;
  /** Drain: /readyz turns 503, the listener closes, in-flight requests finish, the database closes. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logDestination?: DestinationStream;
  /** How long a client may take to send its headers (10 s; tests shorten it). */
  headersTimeoutMs?: number;
  /** How long a client may take to send a whole request (30 s; tests shorten it). */
  requestTimeoutMs?: number;
  /** Started by main.ts before this module was imported; absent when tracing is off. */
  tracing?: Tracing;
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, options.logDestination, options.tracing?.logFields);
  const spans = options.tracing?.spans;
  // Only when someone may read them: counting costs every request a little, and prom-client (which
  // loads @opentelemetry/api) is not loaded at all without them.
  const metrics = config.metricsToken ? new (await import("./http/metrics.ts")).Metrics() : undefined;
  const keys = new KeyStore({
    jwksUri: config.cognito.jwksUri,
    timeoutMs: config.jwks.timeoutMs,
    penaltySeconds: config.jwks.penaltySeconds,
    refreshSeconds: config.jwks.refreshSeconds,
    rejectEmulatorKey: config.production,
    ...(spans ? { spans } : {}),
    onFetch: (outcome, reason) => {
      metrics?.jwksFetch(outcome);
      if (outcome === "ok") logger.info({ jwks: config.cognito.jwksUri }, "signing keys loaded");
      else logger.warn({ jwks: config.cognito.jwksUri, reason }, "signing keys could not be fetched");
    },
  });
  keys.start();
  const database = await openDatabase(config.database, {
    migrate: config.migrateOnStart,
    onMigrationFailure: (err) => logger.warn({ err }, "database not ready; migrations will be retried"),
    onMigrated: (applied, ms) => logger.info({ applied, duration_ms: Math.round(ms) }, config.migrateOnStart ? "database migrated" : "database schema is current"),
  }).catch((err: unknown) => {
    keys.stop();
    throw err;
  });
  const cognito = createCognitoClient(config.cognito, { maxAttempts: 1, timeoutMs: 3000 });
  if (metrics && database.poolStats) metrics.databasePool(database.poolStats);
  const lifetime = await sessionLifetime(config.sessionMaxSeconds, config.cognito.clockSkewSeconds, {
    cognito,
    userPoolId: config.cognito.userPoolId,
    clientIds: config.cognito.clientIds,
  });
  logger.info({ retain_seconds: lifetime.retainSeconds, source: lifetime.source }, "signed-out sessions stay revoked this long");
  const revocations = new RevocationStore(database, logger, { retainSeconds: lifetime.retainSeconds });
  // Read while the app is built and starts listening: until the read is done the API and
  // /readyz answer 503 (app.ts), so nothing is accepted early, and a large table costs start-up
  // only what it takes beyond the rest.
  const revocationsStarted = revocations.start();
  const app = await buildApp({
    config,
    logger,
    verifier: createTokenVerifier(config.cognito, keys, config.tokenCacheSize, tokenCacheLookup(metrics, spans)),
    keys,
    database,
    attributes: cognitoAttributeSource(cognito),
    identity: cognitoIdentityProvider(cognito, {
      userPoolId: config.cognito.userPoolId,
      clientId: config.cognito.clientIds[0]!,
      clientSecret: config.cognito.clientSecret,
    }),
    revocations,
    ...(metrics ? { metrics } : {}),
    ...(spans ? { spans } : {}),
    ...(options.headersTimeoutMs ? { headersTimeoutMs: options.headersTimeoutMs } : {}),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
  // Every instance delivers: deliveries are claimed row by row, so any number share the work.
  const dispatcher = new WebhookDispatcher(
    database,
    { ...config.webhooks, retentionDays: config.eventRetentionDays },
    logger.child({ component: "webhooks" }),
    metrics,
    spans,
  );
  const silent = trackSilentConnections(app.fastify.server);
  let address: string;
  try {
    address = await app.fastify.listen({ port: config.port, host: config.host });
    await revocationsStarted;
    dispatcher.start();
  } catch (err) {
    keys.stop();
    await revocationsStarted.catch(() => {});
    await revocations.stop();
    await database.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    url: address,
    logger,
    routes: app.routes,
    inject: app.fastify.inject.bind(app.fastify),
    stopReadiness: () => app.stopReadiness(),
    close: () =>
      (closing ??= (async () => {
        app.startDraining();
        const closed = app.fastify.close();
        // Awaited below, after the sweep: a failure meanwhile must not count as unhandled.
        closed.catch(() => {});
        await listenerClosed(app.fastify.server);
        silent.close();
        await closed;
        await dispatcher.stop();
        keys.stop();
        cognito.destroy();
        await revocations.stop();
        await database.close();
      })()),
  };
}

/** Who hears of token-cache hits and misses: the metrics, and the verification's span. */
function tokenCacheLookup(metrics: Metrics | undefined, spans: Spans | undefined): ((hit: boolean) => void) | undefined {
  if (!metrics && !spans) return undefined;
  return (hit) => {
    metrics?.cacheLookup("token", hit);
    spans?.annotate("auth.token_cache", hit ? "hit" : "miss");
  };
}
