// Prometheus metrics (GET /metrics, for METRICS_TOKEN holders only). Labels carry routes, status
// codes and outcome codes: never tokens, user ids or anything a user typed.
// The server's own are named `vrms_…` with their unit (`_seconds`, `_total`), as Prometheus's
// naming guide asks, and no label's values overlap: `sum()` over any label is a true total.
// prom-client's process and Node.js metrics keep their usual names (`process_…`, `nodejs_…`), as
// the dashboards made for them expect.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { VERSION } from "../version.ts";
import { ApiProblem, sendProblem } from "./problem.ts";

/** The metrics' own 401: their token, not a user's, in a realm of its own. */
function metricsTokenRequired(): ApiProblem {
  return new ApiProblem(401, "token_invalid", "Send the metrics token.", { "www-authenticate": 'Bearer realm="metrics"' });
}

const PREFIX = "vrms_";

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: "Requests answered, by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: "Time to answer, by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly verifications = new Counter({
    name: `${PREFIX}auth_verifications_total`,
    help: "Bearer-token checks by outcome: ok or the API code",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly jwksFetches = new Counter({
    name: `${PREFIX}jwks_fetches_total`,
    help: "JWKS fetches by outcome",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly cacheLookups = new Counter({
    name: `${PREFIX}cache_lookups_total`,
    help: "Verified-token and profile cache lookups, by cache and result",
    labelNames: ["cache", "result"] as const,
    registers: [this.registry],
  });

  private readonly serviceRequests = new Counter({
    name: `${PREFIX}service_requests_total`,
    help: "Requests of services (apps calling with client-credentials tokens), by app client, route and status",
    labelNames: ["client_id", "route", "status"] as const,
    registers: [this.registry],
  });

  private readonly webhookDeliveries = new Counter({
    name: "vrms_webhook_deliveries_total",
    help: "Webhook delivery attempts by outcome: delivered, retrying (failed, will retry), failed (gave up after 24 h)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: `${PREFIX}build_info`, help: "Always 1: the running version, as a label", labelNames: ["version"] as const, registers: [this.registry] }).set({ version: VERSION }, 1);
  }

  request(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  /** Client ids come from COGNITO_SERVICE_CLIENT_IDS only: the labels stay few. */
  serviceRequest(clientId: string, route: string, status: number): void {
    this.serviceRequests.inc({ client_id: clientId, route, status: String(status) });
  }

  verification(outcome: string): void {
    this.verifications.inc({ outcome });
  }

  jwksFetch(outcome: "ok" | "failed"): void {
    this.jwksFetches.inc({ outcome });
  }

  cacheLookup(cache: "token" | "profile", hit: boolean): void {
    this.cacheLookups.inc({ cache, result: hit ? "hit" : "miss" });
  }

  webhookDelivery(outcome: "delivered" | "retrying" | "failed"): void {
    this.webhookDeliveries.inc({ outcome });
  }

  /** Pending webhook deliveries and the age of the oldest one's event, read from the database when scraped. */
  webhookQueue(read: () => Promise<{ depth: number; oldestSeconds: number }>): void {
    let last: Promise<{ depth: number; oldestSeconds: number }> | undefined;
    // Both gauges of one scrape share one query.
    const current = () => (last ??= read().finally(() => setTimeout(() => (last = undefined), 1000).unref()));
    new Gauge({
      name: "vrms_webhook_pending_deliveries",
      help: "Webhook deliveries not yet made (pending, including those waiting for a retry)",
      registers: [this.registry],
      async collect() {
        this.set((await current().catch(() => ({ depth: 0 }))).depth);
      },
    });
    new Gauge({
      name: "vrms_webhook_oldest_pending_age_seconds",
      help: "Age of the oldest event with a pending webhook delivery (0: none)",
      registers: [this.registry],
      async collect() {
        this.set((await current().catch(() => ({ oldestSeconds: 0 }))).oldestSeconds);
      },
    });
  }

  /**
   * The database pool's use, read when scraped. Connections are idle or used (their sum is the
   * pool's size); requests waiting for a connection are counted apart, since they are not
   * connections; the pool's bound beside them says how close it is.
   */
  databasePool(read: () => { total: number; idle: number; waiting: number; max: number }): void {
    new Gauge({
      name: `${PREFIX}db_pool_connections`,
      help: "PostgreSQL pool connections open, by state: idle or used",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        const pool = read();
        this.set({ state: "idle" }, pool.idle);
        this.set({ state: "used" }, pool.total - pool.idle);
      },
    });
    new Gauge({
      name: `${PREFIX}db_pool_connections_max`,
      help: "The most connections the PostgreSQL pool opens",
      registers: [this.registry],
      collect() {
        this.set(read().max);
      },
    });
    new Gauge({
      name: `${PREFIX}db_pool_pending_requests`,
      help: "Queries waiting for a PostgreSQL pool connection",
      registers: [this.registry],
      collect() {
        this.set(read().waiting);
      },
    });
  }
}

// RFC 6750 §2.1 as in auth/bearer.ts: the scheme in any case, then one or more spaces.
const BEARER_RE = /^bearer +/i;

const digest = (text: string) => createHash("sha256").update(text).digest();

export async function metricsRoute(app: FastifyInstance, options: { metrics: Metrics; token: string }): Promise<void> {
  // Digests of equal length: the comparison takes the same time whatever was sent, its length included.
  const expected = digest(options.token);
  app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
    const header = request.headers.authorization ?? "";
    const scheme = BEARER_RE.exec(header);
    const given = digest(scheme ? header.slice(scheme[0].length) : "");
    if (!scheme || !timingSafeEqual(given, expected)) {
      return sendProblem(reply, metricsTokenRequired());
    }
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
}
