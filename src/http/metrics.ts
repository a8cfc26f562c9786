// Prometheus metrics (GET /metrics, for METRICS_TOKEN holders only). Labels carry routes, status
// codes and outcome codes: never tokens, user ids or anything a user typed.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { metricsTokenRequired } from "../auth/problems.ts";
import { sendProblem } from "./problem.ts";

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "http_requests_total",
    help: "Requests answered, by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time to answer, by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly verifications = new Counter({
    name: "auth_verifications_total",
    help: "Bearer-token checks by outcome: ok or the API code",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly jwksFetches = new Counter({
    name: "jwks_fetches_total",
    help: "JWKS fetches by outcome",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly cacheLookups = new Counter({
    name: "cache_lookups_total",
    help: "Verified-token and profile cache lookups, by cache and result",
    labelNames: ["cache", "result"] as const,
    registers: [this.registry],
  });

  private readonly serviceRequests = new Counter({
    name: "service_requests_total",
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

  /** The database pool's use, read when scraped. */
  databasePool(read: () => { total: number; idle: number; waiting: number }): void {
    new Gauge({
      name: "db_pool_connections",
      help: "PostgreSQL pool connections by state",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        const pool = read();
        this.set({ state: "total" }, pool.total);
        this.set({ state: "idle" }, pool.idle);
        this.set({ state: "waiting" }, pool.waiting);
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
