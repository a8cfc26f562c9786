// The only module that reads process.env. Everything else receives a typed Config.
import path from "node:path";
import ipaddr from "ipaddr.js";
import { isLoopbackHost } from "./net.ts";
import { PERMISSION_TYPES, type PermissionTypeName } from "./authz/permission-types.ts";

export type TokenUse = "access" | "id" | "any";

export interface CognitoConfig {
  userPoolId: string;
  region: string;
  clientIds: string[];
  clientSecret: string | undefined;
  endpoint: string;
  /** Accepted `iss` values; JWKS comes from the first. */
  issuers: string[];
  jwksUri: string;
  tokenUse: TokenUse;
  domain: string | undefined;
  implicitGrant: boolean;
  adminGroup: string;
  /** App clients whose client-credentials tokens are accepted as services (never users). */
  serviceClientIds: string[];
  /** The resource server identifier that prefixes the API's scopes (`vrms-backend/users.read`). */
  resourceServer: string;
  /** Cognito group → global permission type (COGNITO_GROUP_PERMISSIONS), read from the token on every request. */
  groupPermissions: ReadonlyMap<string, PermissionTypeName>;
  clockSkewSeconds: number;
  /** Loopback emulator with no AWS credentials configured: sign with static dummy ones. */
  useDummyCredentials: boolean;
}

export type TrustProxy = false | number | string[];

/**
 * `statementTimeoutMs`: how long PostgreSQL lets one statement of the API run before cancelling it
 * (DATABASE_STATEMENT_TIMEOUT_MS; DEFAULT_STATEMENT_TIMEOUT_MS when not given; 0: none sent). PGlite
 * has none.
 */
export type DatabaseConfig = { kind: "pglite"; dir: string } | { kind: "postgres"; url: string; statementTimeoutMs?: number };

/** A page of the API's queries takes milliseconds; five seconds is a stall, not a slow answer. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

export interface Config {
  production: boolean;
  port: number;
  host: string;
  publicUrl: string;
  cognito: CognitoConfig;
  jwks: { timeoutMs: number; penaltySeconds: number; refreshSeconds: number };
  tokenCacheSize: number;
  database: DatabaseConfig;
  dataDir: string;
  webConcurrency: number;
  /** Fastify's trustProxy: false, a hop count, or the trusted proxies' addresses and CIDRs. */
  trustProxy: TrustProxy;
  /** SESSION_MAX_SECONDS when set; else read from the app clients at start (sessions/lifetime.ts). */
  sessionMaxSeconds: number | undefined;
  /**
   * Origins allowed by CORS: CORS_ORIGINS's exact origins, plus patterns that only code can add
   * (the dev stack adds any http://localhost port; no variable can, so production never does).
   */
  corsOrigins: (string | RegExp)[];
  /**
   * The `host[:port]` names requests may be addressed to (421 otherwise); empty: any. ALLOWED_HOSTS
   * under `npm run serve`; under `npm start` the loopback names, to which ALLOWED_HOSTS adds.
   */
  allowedHosts: string[];
  authFailureRateLimit: number;
  metricsToken: string | undefined;
  logLevel: string;
  tracing: TracingConfig;
  /** Apply pending migrations at start (MIGRATE_ON_START); false when a release step runs `npm run migrate`. */
  migrateOnStart: boolean;
  /** SIGTERM: unready at once, serving for delaySeconds, then in-flight requests get up to timeoutSeconds. */
  shutdown: { delaySeconds: number; timeoutSeconds: number };
  webhooks: WebhookConfig;
  /** EVENT_RETENTION_DAYS: how long events stay in the feed (and failed deliveries replayable). */
  eventRetentionDays: number;
}

export interface WebhookConfig {
  /** WEBHOOK_RETRY_BASE_MS: the first retry's delay (each next one doubles, with jitter). */
  retryBaseMs: number;
  /** WEBHOOK_ALLOW_HTTP_LOOPBACK: http:// (and addresses) on loopback allowed, for the dev stack and tests. */
  allowHttpLoopback: boolean;
  /** WEBHOOK_LEASE_MS: how long a claimed delivery is an instance's before another may take it over. */
  leaseMs: number;
}

/**
 * OpenTelemetry traces. Only whether they are on and the service name are ours to decide; the
 * SDK reads the rest of the standard OTEL_* variables (protocol, headers, sampler, batching) itself.
 */
export interface TracingConfig {
  enabled: boolean;
  serviceName: string;
}

export type Env = Record<string, string | undefined>;

/** A missing or malformed variable: the message names it and what is expected. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
    got?: string,
  ) {
    super(`${variable}: expected ${expected}${got === undefined ? "" : `, got ${JSON.stringify(got)}`}`);
    this.name = "ConfigError";
  }
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function required(env: Env, name: string, expected: string): string {
  const value = text(env, name);
  if (value === undefined) throw new ConfigError(name, expected);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  }
  return Number(raw);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (["true", "1", "yes"].includes(raw)) return true;
  if (["false", "0", "no"].includes(raw)) return false;
  throw new ConfigError(name, "true or false", raw);
}

function list(env: Env, name: string): string[] {
  return (text(env, name) ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Which proxies' X-Forwarded-For entries are believed. `true` would believe the leftmost entry,
 * which the client writes itself: refused, so that nobody can choose the address the limits see.
 */
function trustProxy(env: Env): TrustProxy {
  const raw = text(env, "TRUST_PROXY");
  const expected = "false, a hop count (1 = one load balancer in front) or comma-separated proxy addresses/CIDRs";
  if (raw === undefined || ["false", "0", "no"].includes(raw.toLowerCase())) return false;
  if (["true", "yes"].includes(raw.toLowerCase())) {
    throw new ConfigError("TRUST_PROXY", `${expected}; true would let any client choose its own address`, raw);
  }
  if (/^\d+$/.test(raw)) {
    if (Number(raw) > 32) throw new ConfigError("TRUST_PROXY", expected, raw);
    return Number(raw);
  }
  const entries = list(env, "TRUST_PROXY");
  for (const entry of entries) {
    // A range as wide as a /7 (or IPv4-mapped, ::ffff:0:0/96 is all of IPv4) trusts clients as
    // proxies, which is `true` by another name.
    const host = entry.split("/")[0] ?? "";
    // Dotted-quad IPv4 or IPv6 only: "10" and "0xa.0.0.1" also parse as IPv4, and mean nothing here.
    if (!ipaddr.IPv4.isValidFourPartDecimal(host) && !ipaddr.IPv6.isValid(host)) throw new ConfigError("TRUST_PROXY", expected, entry);
    let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      range = entry.includes("/") ? ipaddr.parseCIDR(entry) : [ipaddr.parse(entry), entry.includes(":") ? 128 : 32];
    } catch {
      throw new ConfigError("TRUST_PROXY", expected, entry);
    }
    const [address, bits] = range;
    const ipv4Bits = address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress() ? bits - 96 : bits;
    if (ipv4Bits < 8) throw new ConfigError("TRUST_PROXY", `${expected}, each range /8 or narrower`, entry);
  }
  return entries;
}

const ALLOWED_HOST_RE = /^(?:[a-z\d](?:[a-z\d-]*[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]*[a-z\d])?)*|\[([\da-f:.]+)\])(?::(\d{1,5}))?$/i;

/** `host[:port]` entries: a DNS name or IPv4 address, or a bracketed IPv6 address; a port from 1 to 65535. */
function allowedHosts(env: Env): string[] {
  const entries = list(env, "ALLOWED_HOSTS");
  for (const entry of entries) {
    const match = ALLOWED_HOST_RE.exec(entry);
    const ipv6 = match?.[1];
    const port = match?.[2];
    if (!match || (ipv6 !== undefined && !ipaddr.IPv6.isValid(ipv6)) || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
      throw new ConfigError("ALLOWED_HOSTS", "comma-separated host[:port] entries such as api.example.org or 10.0.3.7:8000", entry);
    }
  }
  return entries.map((entry) => entry.toLowerCase());
}

/** https anywhere; http only on loopback, where the emulator and test issuers live. */
export function checkServiceUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, "an absolute http(s) URL", raw);
  }
  if (url.protocol === "https:") return raw.replace(/\/+$/, "");
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return raw.replace(/\/+$/, "");
  if (url.protocol === "http:") {
    throw new ConfigError(name, "an https URL (http is accepted only for localhost, 127.0.0.0/8 and [::1])", raw);
  }
  throw new ConfigError(name, "an absolute http(s) URL", raw);
}

export function regionFromPoolId(poolId: string): string {
  const prefix = poolId.split("_")[0] ?? "";
  return REGION_RE.test(prefix) ? prefix : "us-east-1";
}

/** True when the SDK's standard chain has an obvious source of credentials. */
function awsCredentialsConfigured(env: Env): boolean {
  return ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"].some((name) => text(env, name) !== undefined);
}

export interface CognitoEndpointSettings {
  region: string;
  endpoint: string;
  useDummyCredentials: boolean;
}

/** Where the AWS SDK sends Cognito calls; shared by the server, the CLI and the dev stack. */
export function loadCognitoEndpoint(env: Env, poolId?: string): CognitoEndpointSettings {
  const regionRaw = text(env, "COGNITO_REGION");
  if (regionRaw !== undefined && !REGION_RE.test(regionRaw)) {
    throw new ConfigError("COGNITO_REGION", "an AWS region such as us-west-2", regionRaw);
  }
  const region = regionRaw ?? (poolId ? regionFromPoolId(poolId) : "us-east-1");
  const endpointRaw = text(env, "COGNITO_ENDPOINT");
  const endpoint = endpointRaw
    ? checkServiceUrl("COGNITO_ENDPOINT", endpointRaw)
    : `https://cognito-idp.${region}.amazonaws.com`;
  const loopback = new URL(endpoint).protocol === "http:";
  return { region, endpoint, useDummyCredentials: loopback && !awsCredentialsConfigured(env) };
}

export function loadCognito(env: Env): CognitoConfig {
  const userPoolId = required(env, "COGNITO_USER_POOL_ID", "a user pool id such as us-west-2_Fn4rkZpuB");
  if (!/^[\w-]+_[0-9a-zA-Z]+$/.test(userPoolId)) {
    throw new ConfigError("COGNITO_USER_POOL_ID", "a user pool id such as us-west-2_Fn4rkZpuB", userPoolId);
  }
  const clientIds = list(env, "COGNITO_CLIENT_IDS");
  if (clientIds.length === 0) throw new ConfigError("COGNITO_CLIENT_IDS", "one or more comma-separated app client ids");
  const { region, endpoint, useDummyCredentials } = loadCognitoEndpoint(env, userPoolId);
  const issuerRaw = text(env, "COGNITO_ISSUER");
  const issuers = issuerRaw
    ? [checkServiceUrl("COGNITO_ISSUER", issuerRaw)]
    : [`${endpoint}/${userPoolId}`];
  if (!issuerRaw && endpoint === `https://cognito-idp.${region}.amazonaws.com`) {
    // AWS issues tokens with either issuer form; aws-jwt-verify's CognitoJwtVerifier accepts both too.
    issuers.push(`https://issuer-cognito-idp.${region}.amazonaws.com/${userPoolId}`);
  }
  const tokenUse = (text(env, "COGNITO_TOKEN_USE") ?? "access") as TokenUse;
  if (!["access", "id", "any"].includes(tokenUse)) {
    throw new ConfigError("COGNITO_TOKEN_USE", "access, id or any", tokenUse);
  }
  const serviceClientIds = list(env, "COGNITO_SERVICE_CLIENT_IDS");
  // A client in both lists would make every token of it ambiguous: a person or an app?
  const both = serviceClientIds.find((id) => clientIds.includes(id));
  if (both) throw new ConfigError("COGNITO_SERVICE_CLIENT_IDS", "app clients not also in COGNITO_CLIENT_IDS", both);
  // Services call with access tokens only: an id-only server would refuse every one of them.
  if (serviceClientIds.length > 0 && tokenUse === "id") throw new ConfigError("COGNITO_SERVICE_CLIENT_IDS", "COGNITO_TOKEN_USE access or any (services send access tokens)", tokenUse);
  const domainRaw = text(env, "COGNITO_DOMAIN");
  const adminGroup = text(env, "COGNITO_ADMIN_GROUP") ?? "admin";
  return {
    userPoolId,
    region,
    clientIds,
    clientSecret: text(env, "COGNITO_CLIENT_SECRET"),
    endpoint,
    issuers,
    jwksUri: `${issuers[0]}/.well-known/jwks.json`,
    tokenUse,
    domain: domainRaw ? checkServiceUrl("COGNITO_DOMAIN", domainRaw) : undefined,
    implicitGrant: boolean(env, "COGNITO_IMPLICIT_GRANT", false),
    adminGroup,
    groupPermissions: groupPermissions(env, adminGroup),
    serviceClientIds,
    resourceServer: resourceServer(env),
    clockSkewSeconds: integer(env, "COGNITO_CLOCK_SKEW_SECONDS", 60, 0, 3600),
    useDummyCredentials,
  };
}

/** Cognito's rule for a resource server identifier (URLs allowed); no quote or backslash reaches a WWW-Authenticate header. */
function resourceServer(env: Env): string {
  const raw = text(env, "COGNITO_RESOURCE_SERVER") ?? "vrms-backend";
  if (!/^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/.test(raw)) throw new ConfigError("COGNITO_RESOURCE_SERVER", "a resource server identifier (printable ASCII, no spaces, quotes or backslashes)", raw);
  return raw;
}

/** `group:type` pairs; only global types, since a group names no project. */
function groupPermissions(env: Env, adminGroup: string): Map<string, PermissionTypeName> {
  const raw = text(env, "COGNITO_GROUP_PERMISSIONS") ?? `${adminGroup}:adminGlobal`;
  const globalTypes = PERMISSION_TYPES.filter((t) => t.scope === "global").map((t) => t.name);
  const expected = `comma-separated group:type pairs, each type one of ${globalTypes.join(", ")}`;
  const mapping = new Map<string, PermissionTypeName>();
  for (const entry of raw.split(",").map((e) => e.trim()).filter((e) => e !== "")) {
    const at = entry.lastIndexOf(":");
    const group = entry.slice(0, at).trim();
    const type = entry.slice(at + 1).trim();
    if (at <= 0 || !(globalTypes as string[]).includes(type) || mapping.has(group)) throw new ConfigError("COGNITO_GROUP_PERMISSIONS", expected, entry);
    mapping.set(group, type as PermissionTypeName);
  }
  return mapping;
}

export function loadDatabase(env: Env, dataDir: string): DatabaseConfig {
  const url = text(env, "DATABASE_URL");
  if (url === undefined) {
    // PGlite runs in this process and cannot cancel a statement: the setting would protect nothing.
    const timeout = text(env, "DATABASE_STATEMENT_TIMEOUT_MS");
    if (timeout !== undefined) throw new ConfigError("DATABASE_STATEMENT_TIMEOUT_MS", "no value unless DATABASE_URL is set (PGlite has no statement timeout)", timeout);
    return { kind: "pglite", dir: path.join(dataDir, "db") };
  }
  // The value may hold a password: never echo it back.
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError("DATABASE_URL", "a postgres:// URL");
  // 0 sends none, for a pooler that refuses it at connection (PgBouncer): the role's own applies.
  const statementTimeoutMs = integer(env, "DATABASE_STATEMENT_TIMEOUT_MS", DEFAULT_STATEMENT_TIMEOUT_MS, 0, 600_000);
  if (statementTimeoutMs > 0 && statementTimeoutMs < 100) throw new ConfigError("DATABASE_STATEMENT_TIMEOUT_MS", "0 (none sent) or 100 to 600000", String(statementTimeoutMs));
  return { kind: "postgres", url, statementTimeoutMs };
}

/** The database alone (`npm run migrate` needs nothing else): DATABASE_URL, or PGlite in DATA_DIR. */
export function loadDatabaseConfig(env: Env = process.env): DatabaseConfig {
  return loadDatabase(env, path.resolve(text(env, "DATA_DIR") ?? ".data"));
}

const TRACES_EXPORTERS = ["otlp", "console", "none"];

/** Off unless an OTLP endpoint or a traces exporter is named, as the standard variables say. */
export function loadTracing(env: Env): TracingConfig {
  const exporters = list(env, "OTEL_TRACES_EXPORTER");
  for (const exporter of exporters) {
    if (!TRACES_EXPORTERS.includes(exporter)) throw new ConfigError("OTEL_TRACES_EXPORTER", TRACES_EXPORTERS.join(", "), exporter);
  }
  const endpoint = text(env, "OTEL_EXPORTER_OTLP_ENDPOINT") ?? text(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) {
    throw new ConfigError("OTEL_EXPORTER_OTLP_ENDPOINT", "an http(s) URL such as http://collector:4318");
  }
  const named = endpoint !== undefined || exporters.length > 0;
  const enabled = named && !exporters.includes("none") && !boolean(env, "OTEL_SDK_DISABLED", false);
  return { enabled, serviceName: text(env, "OTEL_SERVICE_NAME") ?? "vrms-backend" };
}

export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, "PORT", 8000, 0, 65535);
  const publicUrlRaw = text(env, "PUBLIC_URL");
  let publicUrl = `http://localhost:${port}`;
  if (publicUrlRaw !== undefined) {
    try {
      const url = new URL(publicUrlRaw);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
      publicUrl = publicUrlRaw.replace(/\/+$/, "");
    } catch {
      throw new ConfigError("PUBLIC_URL", "an absolute http(s) URL", publicUrlRaw);
    }
  }
  const dataDir = path.resolve(text(env, "DATA_DIR") ?? ".data");
  const database = loadDatabase(env, dataDir);
  const webConcurrency = integer(env, "WEB_CONCURRENCY", 1, 1, 64);
  if (webConcurrency > 1 && database.kind !== "postgres") {
    throw new ConfigError("WEB_CONCURRENCY", "1 unless DATABASE_URL is set (PGlite serves one process)", String(webConcurrency));
  }
  const logLevel = text(env, "LOG_LEVEL") ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError("LOG_LEVEL", LOG_LEVELS.join(", "), logLevel);
  const corsOrigins = list(env, "CORS_ORIGINS");
  for (const origin of corsOrigins) {
    try {
      if (new URL(origin).origin !== origin) throw new Error("not an origin");
    } catch {
      throw new ConfigError("CORS_ORIGINS", "comma-separated origins such as https://app.example.org", origin);
    }
  }
  return {
    production: text(env, "NODE_ENV") === "production",
    port,
    host: text(env, "HOST") ?? "0.0.0.0",
    publicUrl,
    cognito: loadCognito(env),
    jwks: {
      timeoutMs: integer(env, "JWKS_TIMEOUT_MS", 3000, 1, 120_000),
      penaltySeconds: integer(env, "JWKS_PENALTY_SECONDS", 10, 0, 3600),
      refreshSeconds: integer(env, "JWKS_REFRESH_SECONDS", 3600, 1, 7 * 24 * 3600),
    },
    tokenCacheSize: integer(env, "TOKEN_CACHE_SIZE", 100_000, 0, 10_000_000),
    database,
    dataDir,
    webConcurrency,
    trustProxy: trustProxy(env),
    // Cognito's refresh tokens live from 60 minutes to 10 years.
    sessionMaxSeconds: text(env, "SESSION_MAX_SECONDS") === undefined ? undefined : integer(env, "SESSION_MAX_SECONDS", 0, 3600, 3650 * 86400),
    corsOrigins,
    allowedHosts: allowedHosts(env),
    authFailureRateLimit: integer(env, "AUTH_FAILURE_RATE_LIMIT", 0, 0, 1_000_000),
    metricsToken: text(env, "METRICS_TOKEN"),
    logLevel,
    tracing: loadTracing(env),
    migrateOnStart: boolean(env, "MIGRATE_ON_START", true),
    shutdown: {
      delaySeconds: integer(env, "SHUTDOWN_DELAY_SECONDS", 5, 0, 600),
      // At least the request timeout (30 s): a request accepted before the signal may take that long.
      timeoutSeconds: integer(env, "SHUTDOWN_TIMEOUT_SECONDS", 35, 1, 3600),
    },
    webhooks: {
      retryBaseMs: integer(env, "WEBHOOK_RETRY_BASE_MS", 5000, 1, 3_600_000),
      allowHttpLoopback: boolean(env, "WEBHOOK_ALLOW_HTTP_LOOPBACK", false),
      // Longer than one delivery (10 s) with room to record it; under a minute, so that a killed
      // instance's work is taken over within one.
      leaseMs: integer(env, "WEBHOOK_LEASE_MS", 30_000, 1000, 60_000),
    },
    eventRetentionDays: integer(env, "EVENT_RETENTION_DAYS", 30, 1, 3650),
  };
}

/** Settings of `npm start` beyond the server's own. */
export interface DevConfig {
  cognitoLocalPort: number;
  apiPort: number;
  dataDir: string;
}

export function loadDevConfig(env: Env = process.env): DevConfig {
  return {
    cognitoLocalPort: integer(env, "COGNITO_LOCAL_PORT", 9229, 1, 65535),
    apiPort: integer(env, "PORT", 8000, 1, 65535),
    dataDir: path.resolve(text(env, "DATA_DIR") ?? ".data"),
  };
}

/** The process environment, for the few places (dev stack, CLI) that pass it on or overlay it. */
export function processEnv(): Env {
  return { ...process.env };
}

/** Where the CLI keeps a saved session (`--save`). */
export function sessionFilePath(env: Env = process.env): string {
  const base = text(env, "XDG_CONFIG_HOME") ?? path.join(text(env, "HOME") ?? ".", ".config");
  return path.join(base, "vrms-backend", "session.json");
}

