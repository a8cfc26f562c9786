// Configuration: every variable validated at start, one line naming a bad one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, regionFromPoolId } from "../src/config.ts";

const base = { COGNITO_USER_POOL_ID: "us-west-2_Fn4rkZpuB", COGNITO_CLIENT_IDS: "abc123" };

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail("expected a ConfigError");
}

describe("configuration", () => {
  it("defaults to AWS's endpoint and accepts both AWS issuer forms", () => {
    const config = loadConfig(base);
    assert.equal(config.port, 8000);
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.publicUrl, "http://localhost:8000");
    assert.equal(config.cognito.region, "us-west-2");
    assert.equal(config.cognito.endpoint, "https://cognito-idp.us-west-2.amazonaws.com");
    assert.deepEqual(config.cognito.issuers, [
      "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Fn4rkZpuB",
      "https://issuer-cognito-idp.us-west-2.amazonaws.com/us-west-2_Fn4rkZpuB",
    ]);
    assert.equal(config.cognito.jwksUri, "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Fn4rkZpuB/.well-known/jwks.json");
    assert.equal(config.cognito.tokenUse, "access");
    assert.equal(config.cognito.useDummyCredentials, false);
    assert.deepEqual(config.database, { kind: "pglite", dir: `${process.cwd()}/.data/db` });
  });

  it("takes the emulator's issuer from COGNITO_ENDPOINT and signs with dummy credentials on loopback", () => {
    const config = loadConfig({ COGNITO_USER_POOL_ID: "local_abc123", COGNITO_CLIENT_IDS: "a, b", COGNITO_ENDPOINT: "http://localhost:9229" });
    assert.equal(config.cognito.region, "us-east-1");
    assert.deepEqual(config.cognito.issuers, ["http://localhost:9229/local_abc123"]);
    assert.deepEqual(config.cognito.clientIds, ["a", "b"]);
    assert.equal(config.cognito.useDummyCredentials, true);
    const withKeys = loadConfig({ COGNITO_USER_POOL_ID: "local_abc123", COGNITO_CLIENT_IDS: "a", COGNITO_ENDPOINT: "http://127.0.0.1:9229", AWS_ACCESS_KEY_ID: "x" });
    assert.equal(withKeys.cognito.useDummyCredentials, false);
  });

  it("refuses plain http anywhere but loopback", () => {
    for (const host of ["localhost", "127.0.0.1", "127.8.9.10", "[::1]"]) {
      assert.doesNotThrow(() => loadConfig({ ...base, COGNITO_ENDPOINT: `http://${host}:9229` }), host);
    }
    for (const host of ["example.org", "10.0.0.1", "192.168.1.1", "localhost.example.org"]) {
      const err = configError({ ...base, COGNITO_ENDPOINT: `http://${host}:9229` });
      assert.equal(err.variable, "COGNITO_ENDPOINT");
      assert.match(err.message, /https/);
    }
    assert.equal(configError({ ...base, COGNITO_ISSUER: "http://evil.example.org/pool" }).variable, "COGNITO_ISSUER");
  });

  it("names the missing or malformed variable", () => {
    assert.equal(configError({ COGNITO_CLIENT_IDS: "a" }).variable, "COGNITO_USER_POOL_ID");
    assert.equal(configError({ COGNITO_USER_POOL_ID: "us-west-2_abc" }).variable, "COGNITO_CLIENT_IDS");
    assert.equal(configError({ ...base, PORT: "eighty" }).variable, "PORT");
    assert.equal(configError({ ...base, COGNITO_TOKEN_USE: "both" }).variable, "COGNITO_TOKEN_USE");
    assert.equal(configError({ ...base, JWKS_TIMEOUT_MS: "-1" }).variable, "JWKS_TIMEOUT_MS");
    assert.equal(configError({ ...base, TRUST_PROXY: "maybe" }).variable, "TRUST_PROXY");
    assert.equal(configError({ ...base, WEB_CONCURRENCY: "2" }).variable, "WEB_CONCURRENCY");
    assert.equal(configError({ ...base, LOG_LEVEL: "loud" }).variable, "LOG_LEVEL");
    assert.equal(configError({ ...base, CORS_ORIGINS: "https://a.example.org/path" }).variable, "CORS_ORIGINS");
  });

  it("TRUST_PROXY takes false, a hop count or proxy addresses/CIDRs, and refuses true", () => {
    const trust = (value: string) => loadConfig({ ...base, TRUST_PROXY: value }).trustProxy;
    assert.equal(trust("false"), false);
    assert.equal(trust("0"), false);
    assert.equal(trust("1"), 1);
    assert.deepEqual(trust("10.0.0.0/8, 127.0.0.1,::1, fd00::/8"), ["10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8"]);
    const refused = configError({ ...base, TRUST_PROXY: "true" });
    assert.equal(refused.variable, "TRUST_PROXY");
    assert.match(refused.message, /hop count/);
    assert.match(refused.message, /CIDR/);
    // Ranges that take in clients too are `true` by another name (::ffff:0:0/96 is all of IPv4).
    for (const bad of ["yes", "10.0.0.0/33", "10.0.0.0/8/1", "proxy.example.org", "::1/129", "10.1", "0.0.0.0/0", "0.0.0.0/1,128.0.0.0/1", "::/1,8000::/1", "::ffff:0:0/96"]) {
      assert.equal(configError({ ...base, TRUST_PROXY: bad }).variable, "TRUST_PROXY", bad);
    }
  });

  it("ALLOWED_HOSTS: unset means any Host; host[:port] entries, without case; anything else named at start", () => {
    assert.deepEqual(loadConfig(base).allowedHosts, []);
    assert.deepEqual(loadConfig({ ...base, ALLOWED_HOSTS: " API.example.org, 10.0.3.7:8000,[fd00::7]:8000 ,localhost" }).allowedHosts, ["api.example.org", "10.0.3.7:8000", "[fd00::7]:8000", "localhost"]);
    for (const bad of ["https://api.example.org", "api.example.org/", "*", "*.example.org", "api.example.org:0", "api.example.org:65536", "api.example.org:", "fd00::7", "[fd00::zz]", "user@api.example.org", "-api.example.org", "api..example.org"]) {
      const refused = configError({ ...base, ALLOWED_HOSTS: bad });
      assert.equal(refused.variable, "ALLOWED_HOSTS", bad);
      assert.match(refused.message, /host\[:port\]/);
      assert.ok(!refused.message.includes("\n"));
    }
  });

  it("SESSION_MAX_SECONDS: unset means read from Cognito; set, from an hour to ten years", () => {
    assert.equal(loadConfig(base).sessionMaxSeconds, undefined);
    assert.equal(loadConfig({ ...base, SESSION_MAX_SECONDS: "86400" }).sessionMaxSeconds, 86400);
    assert.equal(configError({ ...base, SESSION_MAX_SECONDS: "60" }).variable, "SESSION_MAX_SECONDS");
  });

  it("webhooks: retries from 5 s, https only unless WEBHOOK_ALLOW_HTTP_LOOPBACK, a lease of at most a minute, 30 days of events", () => {
    assert.deepEqual(loadConfig(base).webhooks, { retryBaseMs: 5000, allowHttpLoopback: false, leaseMs: 30_000 });
    assert.equal(loadConfig(base).eventRetentionDays, 30);
    const set = loadConfig({ ...base, WEBHOOK_RETRY_BASE_MS: "50", WEBHOOK_ALLOW_HTTP_LOOPBACK: "true", WEBHOOK_LEASE_MS: "1500", EVENT_RETENTION_DAYS: "7" });
    assert.deepEqual(set.webhooks, { retryBaseMs: 50, allowHttpLoopback: true, leaseMs: 1500 });
    assert.equal(set.eventRetentionDays, 7);
    assert.equal(configError({ ...base, WEBHOOK_LEASE_MS: "120000" }).variable, "WEBHOOK_LEASE_MS");
    assert.equal(configError({ ...base, EVENT_RETENTION_DAYS: "0" }).variable, "EVENT_RETENTION_DAYS");
    assert.equal(configError({ ...base, WEBHOOK_ALLOW_HTTP_LOOPBACK: "yes please" }).variable, "WEBHOOK_ALLOW_HTTP_LOOPBACK");
  });

  it("never echoes a database URL, which may hold a password", () => {
    const err = configError({ ...base, DATABASE_URL: "mysql://user:hunter2@db/app" });
    assert.equal(err.variable, "DATABASE_URL");
    assert.ok(!err.message.includes("hunter2"));
  });

  it("DATABASE_STATEMENT_TIMEOUT_MS: 5 s by default on PostgreSQL, 100 ms to 10 min or 0 (none sent), refused without DATABASE_URL", () => {
    const url = "postgres://db.example.org/vrms";
    assert.deepEqual(loadConfig({ ...base, DATABASE_URL: url }).database, { kind: "postgres", url, statementTimeoutMs: 5000 });
    assert.deepEqual(loadConfig({ ...base, DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: "30000" }).database, { kind: "postgres", url, statementTimeoutMs: 30_000 });
    assert.deepEqual(loadConfig({ ...base, DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: "0" }).database, { kind: "postgres", url, statementTimeoutMs: 0 });
    for (const bad of ["1", "99", "600001", "5s", "-1"]) {
      assert.equal(configError({ ...base, DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: bad }).variable, "DATABASE_STATEMENT_TIMEOUT_MS", bad);
    }
    // PGlite cannot cancel a statement: a setting that would protect nothing is refused, not ignored.
    assert.equal(configError({ ...base, DATABASE_STATEMENT_TIMEOUT_MS: "5000" }).variable, "DATABASE_STATEMENT_TIMEOUT_MS");
  });

  it("COGNITO_GROUP_PERMISSIONS maps groups to global permission types only, admin:adminGlobal by default", () => {
    assert.deepEqual([...loadConfig(base).cognito.groupPermissions], [["admin", "adminGlobal"]]);
    assert.deepEqual([...loadConfig({ ...base, COGNITO_ADMIN_GROUP: "staff" }).cognito.groupPermissions], [["staff", "adminGlobal"]]);
    assert.deepEqual([...loadConfig({ ...base, COGNITO_GROUP_PERMISSIONS: "ops:adminGlobal, vrms-app:adminVrms" }).cognito.groupPermissions], [
      ["ops", "adminGlobal"],
      ["vrms-app", "adminVrms"],
    ]);
    // A group names no project: a project-scoped type cannot be mapped; nor an unknown one, nor a group twice.
    for (const bad of ["leads:adminProject", "admin:root", "admin", ":adminGlobal", "a:adminGlobal,a:adminVrms"]) {
      assert.equal(configError({ ...base, COGNITO_GROUP_PERMISSIONS: bad }).variable, "COGNITO_GROUP_PERMISSIONS", bad);
    }
  });

  it("reads the region from the pool id", () => {
    assert.equal(regionFromPoolId("eu-central-1_abc"), "eu-central-1");
    assert.equal(regionFromPoolId("local_abc"), "us-east-1");
  });

  it("turns tracing on only when an OTLP endpoint or a traces exporter is named", () => {
    assert.deepEqual(loadConfig(base).tracing, { enabled: false, serviceName: "vrms-backend" });
    assert.equal(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).tracing.enabled, true);
    assert.equal(loadConfig({ ...base, OTEL_TRACES_EXPORTER: "console" }).tracing.enabled, true);
    assert.equal(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_TRACES_EXPORTER: "none" }).tracing.enabled, false);
    assert.equal(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }).tracing.enabled, false);
    // Variables that only tune an exporter turn nothing on.
    assert.equal(loadConfig({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_SERVICE_NAME: "api" }).tracing.enabled, false);
    assert.equal(loadConfig({ ...base, OTEL_TRACES_EXPORTER: "otlp", OTEL_SERVICE_NAME: "api" }).tracing.serviceName, "api");
    assert.match(configError({ ...base, OTEL_TRACES_EXPORTER: "jaeger" }).message, /^OTEL_TRACES_EXPORTER: expected otlp, console, none/);
    assert.match(configError({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }).message, /^OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
