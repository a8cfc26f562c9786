// The configuration reference: every variable src/config.ts reads, its default and its meaning.
// docs/configuration.md is written from this (npm run config:docs), and a test fails when the two
// differ or when config.ts reads a variable this does not describe.

export interface ConfigVariable {
  /** The variables the row describes (read together, or alike). */
  names: string[];
  default: string;
  /** Markdown. */
  meaning: string;
}

export const CONFIG_REFERENCE: ConfigVariable[] = [
  { names: ["PORT", "HOST"], default: "`8000`, `0.0.0.0`", meaning: "where the API listens" },
  { names: ["PUBLIC_URL"], default: "`http://localhost:{PORT}`", meaning: "the URL users reach the API at (redirect URIs, links)" },
  { names: ["COGNITO_USER_POOL_ID"], default: "required", meaning: "e.g. `us-west-2_Fn4rkZpuB`; under the emulator `local_…`" },
  { names: ["COGNITO_REGION"], default: "from the pool id (`us-east-1` when it has none)", meaning: "AWS region" },
  { names: ["COGNITO_CLIENT_IDS"], default: "required", meaning: "comma-separated app client ids whose tokens are accepted; the first is the one the CLI and `/admin` sign in with" },
  { names: ["COGNITO_CLIENT_SECRET"], default: "unset", meaning: "secret of the first client, when it has one (`SECRET_HASH` is then sent)" },
  { names: ["COGNITO_ENDPOINT"], default: "`https://cognito-idp.{region}.amazonaws.com`", meaning: "Cognito service base URL (AWS SDK endpoint)" },
  { names: ["COGNITO_ISSUER"], default: "`{COGNITO_ENDPOINT}/{COGNITO_USER_POOL_ID}`", meaning: "the `iss` to accept; for AWS pools `https://issuer-cognito-idp.{region}.amazonaws.com/{pool}` is accepted too. JWKS: `{issuer}/.well-known/jwks.json`" },
  { names: ["COGNITO_TOKEN_USE"], default: "`access`", meaning: "`access`, `id` or `any`" },
  { names: ["COGNITO_DOMAIN"], default: "unset (the emulator's URL under `npm start`)", meaning: "Hosted UI base URL for `/admin`" },
  { names: ["COGNITO_IMPLICIT_GRANT"], default: "`false`", meaning: "`/admin` signs in with `response_type=token` (pools set up for the implicit grant)" },
  { names: ["COGNITO_ADMIN_GROUP"], default: "`admin`", meaning: "Cognito group whose members are administrators (the default of the next)" },
  { names: ["COGNITO_SERVICE_CLIENT_IDS"], default: "empty", meaning: "app clients whose client-credentials tokens are accepted as *services* (apps calling as themselves: never users, judged by their scopes); none may also be in `COGNITO_CLIENT_IDS`" },
  { names: ["COGNITO_RESOURCE_SERVER"], default: "`vrms-backend`", meaning: "the resource server identifier prefixing the API's scopes (`vrms-backend/users.read`, `users.write`, `permissions.read`, `permissions.write`, `webhooks.write`)" },
  { names: ["COGNITO_GROUP_PERMISSIONS"], default: "`{COGNITO_ADMIN_GROUP}:adminGlobal`", meaning: "`group:type,…`: Cognito groups conferring global permission types, read from each token, never stored ([docs/permissions.md](permissions.md))" },
  { names: ["COGNITO_CLOCK_SKEW_SECONDS"], default: "`60`", meaning: "leeway on `exp`, `nbf`, `iat`" },
  { names: ["JWKS_TIMEOUT_MS", "JWKS_PENALTY_SECONDS", "JWKS_REFRESH_SECONDS"], default: "`3000`, `10`, `3600`", meaning: "fetch timeout; minimum gap between kid-miss refetches; periodic refresh (keys removed from the JWKS stop being trusted)" },
  { names: ["TOKEN_CACHE_SIZE"], default: "`100000`", meaning: "verified-token cache entries (~335 bytes of heap each); `0` turns it off" },
  { names: ["DATABASE_URL"], default: "unset → PGlite in `DATA_DIR/db`", meaning: "`postgres://…` for a PostgreSQL server" },
  { names: ["DATABASE_STATEMENT_TIMEOUT_MS"], default: "`5000` (PostgreSQL only)", meaning: "PostgreSQL cancels any API statement running longer (`statement_timeout` on each pool connection), answered 503 `unavailable` with `Retry-After`; 100 to 600,000, or `0` to send none (PgBouncer refuses the parameter: set it on the role instead, [docs/operations.md](operations.md#the-database)); migrations run without it. Refused without `DATABASE_URL` (PGlite cannot cancel a statement)" },
  { names: ["MIGRATE_ON_START"], default: "`true`", meaning: "apply pending migrations at start (under an advisory lock); `false` when a release step runs `npm run migrate` first: the server then answers 503 until the schema is the one it was built for. PGlite always migrates" },
  { names: ["SHUTDOWN_DELAY_SECONDS"], default: "`5`", meaning: "after SIGTERM, how long `/readyz` fails while requests are still served (what a load balancer needs to stop sending); `0` under tests" },
  { names: ["SHUTDOWN_TIMEOUT_SECONDS"], default: "`35`", meaning: "then, how long in-flight requests may take (≥ the 30 s request timeout) before the process exits 1" },
  { names: ["DATA_DIR"], default: "`./.data`", meaning: "embedded data" },
  { names: ["WEB_CONCURRENCY"], default: "`1`", meaning: "worker processes (`node:cluster`); above 1 requires `DATABASE_URL`" },
  { names: ["TRUST_PROXY"], default: "`false`", meaning: "which proxies' `X-Forwarded-For` entries to believe: `false`, a hop count (`1` = one load balancer in front), or comma-separated proxy addresses/CIDRs; `true` is refused at start (it believes the leftmost entry, which the client writes). See \"Behind a load balancer\" below" },
  { names: ["SESSION_MAX_SECONDS"], default: "the app clients' refresh-token validity (`DescribeUserPoolClient`), else 30 days", meaning: "how long a signed-out session's revocation is kept (plus one access-token life and the skew)" },
  { names: ["CORS_ORIGINS"], default: "empty (same-origin only)", meaning: "comma-separated allowed origins (`npm start` also allows `http://localhost` on any port; no variable can make `npm run serve` do so)" },
  { names: ["ALLOWED_HOSTS"], default: "empty (any `Host`)", meaning: "comma-separated `host` or `host:port` entries (`api.example.org,10.0.3.7:8000,[fd00::7]:8000`; a host without a port on any port, without case): requests naming any other host, in `Host` or an absolute-form target, or none (HTTP/1.0), get 421 `misdirected_request` on every route. Load balancers and Kubernetes probes send the instance's address: list it too, or leave this unset (every request is judged by its token anyway). Under `npm start` the API answers only `localhost`, `127.0.0.1` and `[::1]` with its port, plus these" },
  { names: ["AUTH_FAILURE_RATE_LIMIT"], default: "`0` (off)", meaning: "bearer-token 401s per minute per client address (per instance) before 429. The login endpoint's own brute-force limit is separate and always on." },
  { names: ["METRICS_TOKEN"], default: "unset (metrics off)", meaning: "when set, `GET /metrics` answers to `Authorization: Bearer {METRICS_TOKEN}` only (the scheme in any case, as everywhere; the token compared in constant time)" },
  { names: ["LOG_LEVEL"], default: "`info`", meaning: "pino level" },
  { names: ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED"], default: "unset (tracing off)", meaning: "either one turns OpenTelemetry traces on (`OTEL_TRACES_EXPORTER=otlp`, `console` or `none`); the other standard `OTEL_*` variables apply (protocol, headers, sampler). See [docs/operations.md](operations.md#traces-opentelemetry)" },
  { names: ["OTEL_SERVICE_NAME"], default: "`vrms-backend`", meaning: "the traces' `service.name`" },
  { names: ["WEBHOOK_RETRY_BASE_MS"], default: "`5000`", meaning: "the first retry's delay of a failed webhook delivery; each next one doubles, with jitter, up to an hour, for 24 h ([events.md](events.md))" },
  { names: ["WEBHOOK_ALLOW_HTTP_LOOPBACK"], default: "`false` (`true` under `npm start`)", meaning: "lets webhooks use `http://` (and addresses) on loopback, in any `NODE_ENV`: for local receivers and tests only" },
  { names: ["WEBHOOK_LEASE_MS"], default: "`30000`", meaning: "how long an instance holds a claimed delivery (1,000 to 60,000): one killed mid-delivery has its work taken over after this; an attempt waits for its answer at most two thirds of it (and 10 s)" },
  { names: ["EVENT_RETENTION_DAYS"], default: "`30`", meaning: "how long events stay in the feed and failed deliveries replayable" },
  { names: ["NODE_ENV"], default: "unset", meaning: "`production`: the server refuses a JWKS holding the emulator's published key (kid `CognitoLocal`)" },
  { names: ["COGNITO_LOCAL_PORT"], default: "`9229`", meaning: "`npm start` only: the port of the dev stack's Cognito emulator" },
  { names: ["XDG_CONFIG_HOME", "HOME"], default: "the user's", meaning: "the CLI only: `--save` keeps a session in `{XDG_CONFIG_HOME or HOME/.config}/vrms-backend/session.json` (mode 0600)" },
];

/** What the reference says below its table. */
export const CONFIG_NOTES = "Under `NODE_ENV=production` the server refuses a JWKS containing the emulator's published key (kid `CognitoLocal`). `http://` issuers and endpoints are accepted only on loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`). A missing or malformed variable stops the start with one line naming it and what is expected, exit code 2.\nAWS credentials (for the Admin* calls) come from the AWS SDK's standard chain; `docs/aws.md` lists the IAM actions needed.";
