// buildApp(deps): the Fastify instance with its plugins and routes. No I/O happens at import.
import { randomUUID } from "node:crypto";
import cors from "@fastify/cors";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { adminRoutes } from "./admin/routes.ts";
import { FailureLimiter } from "./auth/failure-limiter.ts";
import { authenticate } from "./auth/authenticate.ts";
import type { TokenVerifier } from "./auth/verifier.ts";
import type { Database } from "./db/client.ts";
import { hostAllowList } from "./http/allowed-hosts.ts";
import { answerClientError, answerError, answerUnroutable } from "./http/errors.ts";
import { ApiProblem, notFound, sendProblem, unavailable } from "./http/problem.ts";
import { healthRoutes } from "./http/health.ts";
import type { Metrics } from "./http/metrics.ts";
import { API_CSP, API_HEADERS, documentHeaders, isPage } from "./http/security-headers.ts";
import { registerOpenApi, registerOpenApiRoutes } from "./http/openapi.ts";
import { knowRoute } from "./http/recorded-url.ts";
import { ProblemSchema } from "./http/problem-schema.ts";
import { createValidatorCompiler } from "./http/validation.ts";
import { ProfileSchema } from "./users/profile-schema.ts";
import { ProfileCache } from "./users/profile-cache.ts";
import { UserRepository } from "./users/repository.ts";
import { UserProvisioning, type UserAttributeSource } from "./users/provisioning.ts";
import { userRoutes } from "./users/routes.ts";
import { loadPrincipal } from "./users/load-principal.ts";
import { principalName } from "./authz/principal.ts";
import { SCOPE_DESCRIPTIONS } from "./authz/scopes.ts";
import { GrantCache } from "./authz/grant-cache.ts";
import { PermissionRepository } from "./permissions/repository.ts";
import { permissionRoutes } from "./permissions/routes.ts";
import { ProjectRepository } from "./projects/repository.ts";
import { projectRoutes } from "./projects/routes.ts";
import { lookupRoutes } from "./people/lookup.ts";
import type { IdentityProvider } from "./cognito/client.ts";
import { LoginThrottle, WINDOW_SECONDS } from "./sessions/login-throttle.ts";
import type { RevocationStore } from "./sessions/revocations.ts";
import { sessionRoutes } from "./sessions/routes.ts";
import { WebhookRepository } from "./webhooks/repository.ts";
import { webhookRoutes } from "./webhooks/routes.ts";
import { EventSchema } from "./webhooks/http-schemas.ts";
import { webhookPayloads } from "./webhooks/openapi-webhooks.ts";
import type { Spans } from "./tracing/spans.ts";

export interface AppDeps {
  config: Config;
  logger: Logger;
  verifier: TokenVerifier;
  /** Whether signing keys are loaded, for /readyz. */
  keys: { readonly ready: boolean };
  database: Database;
  /** Cognito GetUser, to fill in a new user's email from an access token. */
  attributes?: UserAttributeSource;
  /** Sign-in through the backend (/api/v1/auth/*); without it those routes are absent. */
  identity?: IdentityProvider;
  /** Signed-out sessions and users; without it no token is ever refused as revoked. */
  revocations?: RevocationStore;
  metrics?: Metrics;
  /** Tracing's own spans (authentication, profile load); absent when tracing is off. */
  spans?: Spans;
  /** How long a client may take to send its headers before it gets 408 (default 10 s). */
  headersTimeoutMs?: number;
  /** How long a client may take to send a whole request (30 s; tests shorten it). */
  requestTimeoutMs?: number;
}

export interface App {
  fastify: FastifyInstance;
  /** Every route registered, as "METHOD /path" (for the OpenAPI completeness test). */
  routes: string[];
  /**
   * From now on /readyz answers 503, so that load balancers stop sending traffic, while requests
   * are still served (each answer closing its connection): the shutdown delay.
   */
  stopReadiness(): void;
  /** The listener is closing: new requests on open connections get a 503 to retry elsewhere. */
  startDraining(): void;
}

const PROFILE_CACHE_SIZE = 10_000;
const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Fastify treats a hop count as "trust nobody" (it cannot check who the nearest hop is); ours
 * trusts the nearest n hops, as Express does, for servers reachable only through their proxies.
 */
function trustProxy(setting: Config["trustProxy"]): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== "number") return setting;
  return (_address, hop) => hop < setting;
}

const MISDIRECTED = new ApiProblem(421, "misdirected_request", "This server does not answer to the host this request names (its Host header or absolute URL).");

/** Whether a request is addressed to a host this server answers to (config.allowedHosts; any when empty). */
type HostCheck = (request: FastifyRequest) => boolean;

function hostCheck(config: Config): HostCheck {
  if (config.allowedHosts.length === 0) return () => true;
  const answersTo = hostAllowList(config.allowedHosts);
  return (request) => answersTo(request.raw);
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const state = { unready: false, draining: false };
  const hostAllowed = hostCheck(deps.config);
  const app = createFastify(deps, hostAllowed);
  // Before CORS: its preflight answers too carry the headers, the 421s of a foreign host and the
  // 503s of a draining instance.
  addCommonHooks(app, deps, state, hostAllowed);
  // Before CORS too: a route takes the error handler set when it is added, and the preflight
  // route's refusals (421, 503) are problems like any other.
  app.setErrorHandler(answerError);
  // No CORS handling at all unless origins are configured: same-origin only.
  if (deps.config.corsOrigins.length > 0) {
    await app.register(cors, { origin: deps.config.corsOrigins, methods: ["GET", "HEAD", "POST", "PATCH", "DELETE"], maxAge: 600 });
  }
  const routes: string[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of ([] as string[]).concat(route.method)) routes.push(`${method} ${route.url}`);
    knowRoute(route.url);
  });
  // JSON is the only body this API takes: anything else is a 415, not a string to validate.
  app.removeContentTypeParser("text/plain");
  app.setValidatorCompiler(createValidatorCompiler());
  app.addSchema(ProblemSchema);
  app.addSchema(ProfileSchema);
  app.addSchema(EventSchema);
  await registerOpenApi(app, deps.config.publicUrl, { resourceServer: deps.config.cognito.resourceServer, domain: deps.config.cognito.domain, scopes: SCOPE_DESCRIPTIONS }, webhookPayloads());
  app.decorateRequest("auth", null);
  app.decorateRequest("principal", null);
  app.setNotFoundHandler((request, reply) => sendProblem(reply, notFound(`No route for ${request.method} ${request.url.split("?")[0]}.`)));
  await registerRoutes(app, deps, state);
  await registerOpenApiRoutes(app);
  return {
    fastify: app,
    routes,
    stopReadiness: () => {
      state.unready = true;
    },
    startDraining: () => {
      state.unready = true;
      state.draining = true;
    },
  };
}

function createFastify({ config, logger, headersTimeoutMs = 10_000, requestTimeoutMs = 30_000 }: AppDeps, hostAllowed: HostCheck): FastifyInstance {
  return Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: trustProxy(config.trustProxy),
    bodyLimit: 1024 * 1024,
    requestTimeout: requestTimeoutMs,
    // While draining, requests on open connections get our own 503 problem (below), not Fastify's.
    return503OnClosing: false,
    // A client that trickles its headers is cut off after 10 s; Node checks every second.
    http: { headersTimeout: headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, headersTimeoutMs) },
    routerOptions: { ignoreTrailingSlash: true },
    requestIdHeader: false,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
    // Even a request too malformed for routing (oversized headers) gets a problem+json answer.
    clientErrorHandler: answerClientError,
    // No hook runs for these: what every answer carries is added here.
    frameworkErrors: (err, request, reply) => {
      setAnswerHeaders(request, reply);
      reply.raw.once("finish", () => logAnswered(request, reply));
      return hostAllowed(request) ? answerUnroutable(err, request, reply) : sendProblem(reply, MISDIRECTED);
    },
  });
}

const API_HEADER_NAMES = Object.keys(API_HEADERS);

/** What every answer carries: the API's security headers and the request id. */
function setAnswerHeaders(request: FastifyRequest, reply: FastifyReply): void {
  for (const name of API_HEADER_NAMES) reply.header(name, API_HEADERS[name]);
  reply.header("x-request-id", request.id);
}

/** Probes a load balancer or kubelet sends every few seconds: their successes would drown the rest. */
const PROBES = new Set(["/healthz", "/readyz"]);

/** The one log line of a request, written when it is answered: at debug for a probe that succeeded. */
function logAnswered(request: FastifyRequest, reply: FastifyReply): void {
  const quiet = reply.statusCode < 400 && PROBES.has(request.routeOptions.url ?? "");
  request.log[quiet ? "debug" : "info"]({ req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, "request completed");
}

/**
 * Headers, request ids, the 503s of an instance not ready or draining, and one log line per request.
 * Callback hooks, and as few as the work allows: every request runs them, and an async hook costs
 * a promise and a microtask turn each (a quarter of a bare `/healthz`'s time with four of them).
 */
function addCommonHooks(app: FastifyInstance, deps: AppDeps, state: { unready: boolean; draining: boolean }, hostAllowed: HostCheck): void {
  const document = documentHeaders();
  const documentNames = Object.keys(document.headers);
  // Set before the handler runs, so that a route (the /admin page) can replace its CSP; the request
  // id is known from here on, and an error answered later keeps the headers set now.
  app.addHook("onRequest", (request, reply, done) => {
    setAnswerHeaders(request, reply);
    // First, on every route (the 404s, /admin, /healthz and CORS preflights included): a page
    // whose DNS name was rebound to this server's address names its own host.
    if (!hostAllowed(request)) return done(MISDIRECTED);
    // By the route matched, not the URL as sent: the router decodes `/%61pi/v1/me` to /api/v1/me,
    // and a gate on the raw text let it past the 503s (attacker review: a restarted instance served
    // a signed-out session before its first revocation read).
    const route = request.routeOptions.url ?? "";
    if (!route.startsWith("/api/v1/")) {
      // Draining: in-flight requests finish; new ones on open connections are sent elsewhere.
      if (state.draining && route !== "/readyz" && route !== "/healthz") {
        reply.header("connection", "close");
        return done(unavailable("This instance is shutting down; retry.", 1));
      }
      return done();
    }
    // Until the schema is migrated (PostgreSQL unreachable at start), the API answers 503, not 500.
    if (!deps.database.migrated) return done(unavailable("The database is unavailable; try again shortly.", 5));
    // Nor before the signed-out sessions have been read: a restarted instance must not accept them.
    if (deps.revocations && !deps.revocations.loaded) return done(unavailable("Revocations are not loaded yet; try again shortly.", 1));
    if (state.draining) {
      reply.header("connection", "close");
      return done(unavailable("This instance is shutting down; retry.", 1));
    }
    done();
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    // A keep-alive connection that outlives its last request would hold the shutdown open, and
    // one closed now reconnects through the load balancer to an instance that stays.
    if (state.unready) reply.header("connection", "close");
    // A page (whatever its route) gets the document headers, by what it is rather than where.
    if (isPage(reply.getHeader("content-type"))) {
      for (const name of documentNames) reply.header(name, document.headers[name]);
      if (reply.getHeader("content-security-policy") === API_CSP) reply.header("content-security-policy", document.csp);
    }
    done(null, payload);
  });
  // One line per request, written when it is answered (Fastify's default writes two).
  app.addHook("onResponse", (request, reply, done) => {
    logAnswered(request, reply);
    if (deps.metrics) {
      deps.metrics.request(request.routeOptions.url ?? "unmatched", request.method, reply.statusCode, reply.elapsedTime / 1000);
      // By the verified token, so that a service's refused calls (not_a_user, a missing scope) count too.
      const token = request.auth?.token;
      if (token?.kind === "service") deps.metrics.serviceRequest(token.clientId, request.routeOptions.url ?? "unmatched", reply.statusCode);
    }
    done();
  });
}

async function registerRoutes(app: FastifyInstance, deps: AppDeps, state: { unready: boolean; draining: boolean }): Promise<void> {
  const { config } = deps;
  await app.register(healthRoutes, {
    checks: {
      jwks: async () => deps.keys.ready,
      database: async () => {
        await deps.database.ping();
        return deps.database.migrated;
      },
      ...(deps.revocations ? { revocations: async () => deps.revocations!.status } : {}),
    },
    isDraining: () => state.unready,
  });
  const repository = new UserRepository(deps.database.db);
  const profiles = new ProfileCache(PROFILE_CACHE_SIZE, undefined, deps.metrics ? (hit) => deps.metrics!.cacheLookup("profile", hit) : undefined);
  const permissions = new PermissionRepository(deps.database.db);
  const grants = new GrantCache((user) => permissions.grantsOf(user));
  const provisioning = new UserProvisioning(repository, deps.attributes, deps.logger, profiles, grants);
  const signedIn = {
    authenticate: authenticate({
      verifier: deps.verifier,
      limiter: new FailureLimiter(config.authFailureRateLimit),
      ...(deps.revocations ? { revocations: deps.revocations } : {}),
      ...(deps.metrics ? { onOutcome: (outcome: string) => deps.metrics!.verification(outcome) } : {}),
      ...(deps.spans ? { spans: deps.spans } : {}),
    }),
    loadPrincipal: loadPrincipal({
      provisioning,
      grants,
      groupPermissions: config.cognito.groupPermissions,
      resourceServer: config.cognito.resourceServer,
      ...(deps.spans ? { spans: deps.spans } : {}),
    }),
  };
  await app.register(userRoutes, { ...signedIn, repository, profiles, grants, publicUrl: config.publicUrl, audit });
  const projects = new ProjectRepository(deps.database.db);
  await app.register(projectRoutes, { ...signedIn, projects, permissions, users: repository, grants, audit });
  await app.register(permissionRoutes, { ...signedIn, permissions, projects, users: repository, grants, publicUrl: config.publicUrl, audit });
  await app.register(lookupRoutes, { ...signedIn, users: repository });
  await app.register(webhookRoutes, {
    ...signedIn,
    webhooks: new WebhookRepository(deps.database.db),
    allowHttpLoopback: config.webhooks.allowHttpLoopback,
    retentionDays: config.eventRetentionDays,
    audit,
  });
  if (deps.identity && deps.revocations) {
    const throttle = new LoginThrottle(deps.database.db);
    // Windows that have run out are only ever read as "no failures": drop them now and then.
    const purge = setInterval(() => void throttle.purge().catch(() => {}), WINDOW_SECONDS * 1000);
    purge.unref();
    app.addHook("onClose", async () => clearInterval(purge));
    await app.register(sessionRoutes, {
      ...signedIn,
      identity: deps.identity,
      repository,
      revocations: deps.revocations,
      throttle,
      serviceClientIds: config.cognito.serviceClientIds,
      audit,
    });
  }
  await app.register(adminRoutes, {
    publicUrl: config.publicUrl,
    cognitoDomain: config.cognito.domain,
    issuer: config.cognito.issuers[0]!,
    clientId: config.cognito.clientIds[0]!,
    implicitGrant: config.cognito.implicitGrant,
  });
  if (deps.metrics && config.metricsToken) {
    const { metricsRoute } = await import("./http/metrics.ts");
    await app.register(metricsRoute, { metrics: deps.metrics, token: config.metricsToken });
  }
}

/** One `audit` log line per change made for someone else, and per grant: who (a user or a service), what, to what. */
function audit(request: FastifyRequest, action: string, target: string, details?: Record<string, unknown>): void {
  // `actor`: the audit line's field name, which log readers know.
  const actor = request.principal ? principalName(request.principal) : undefined;
  request.log.info({ audit: { actor, action, target, ...details } }, "audit");
}
