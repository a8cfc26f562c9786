// The OAuth client credentials grant at /oauth2/token (cognito-local has none): an app client with
// a secret gets an access token for itself, with custom scopes of the pool's resource servers.
// Claims as AWS documents them for this grant: sub and client_id are the client's id; no username,
// no groups, no id or refresh token.
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { AppClient } from "./cognito-local.ts";
import type { Context } from "./cognito-local.ts";
import type { Deps } from "./deps.ts";
import { sendJson } from "./http.ts";
import { mint } from "./tokens.ts";

type Form = Record<string, string>;

/** An OAuth error answer (RFC 6749 §5.2). */
class GrantError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

interface Credentials {
  clientId: string;
  secret: string;
}

/** client_secret_basic (Cognito's documented form) or client_secret_post; never both. */
function credentialsOf(authorization: string | undefined, form: Form): Credentials {
  const basic = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(authorization ?? "");
  if (basic) {
    if (form.client_secret !== undefined) throw new GrantError(400, "invalid_request", "Use one way to authenticate the client.");
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new GrantError(401, "invalid_client", "Malformed Basic credentials.");
    // RFC 6749 §2.3.1 form-encodes both parts; Cognito's own examples do not. Ids and secrets are
    // alphanumeric, so both read the same.
    const part = (raw: string) => {
      try {
        return decodeURIComponent(raw.replace(/\+/g, " "));
      } catch {
        return raw;
      }
    };
    const clientId = part(decoded.slice(0, colon));
    if (form.client_id !== undefined && form.client_id !== clientId) throw new GrantError(401, "invalid_client", "client_id differs from the authenticated client.");
    return { clientId, secret: part(decoded.slice(colon + 1)) };
  }
  if (!form.client_id) throw new GrantError(401, "invalid_client", "Client authentication is required.");
  return { clientId: form.client_id, secret: form.client_secret ?? "" };
}

const digest = (value: string) => createHash("sha256").update(value).digest();

async function authenticate(deps: Deps, ctx: Context, credentials: Credentials): Promise<AppClient> {
  const client = await deps.engine.services.cognito.getAppClient(ctx, credentials.clientId);
  if (!client) throw new GrantError(401, "invalid_client", "Unknown client.");
  // A client with no secret can never hold this grant (Cognito refuses that setting).
  if (!client.ClientSecret) throw new GrantError(400, "unauthorized_client", "The client is not allowed the client credentials grant.");
  if (!timingSafeEqual(digest(credentials.secret), digest(client.ClientSecret))) throw new GrantError(401, "invalid_client", "Bad client credentials.");
  return client;
}

/** The scopes the token carries: those asked for, each allowed to the client and defined by a resource server; all of them when none are asked for. */
async function grantedScopes(deps: Deps, ctx: Context, client: AppClient, asked: string | undefined): Promise<string[]> {
  const defined = await deps.resourceServers.scopes(ctx, client.UserPoolId);
  const allowed = (client.AllowedOAuthScopes ?? []).filter((scope) => defined.has(scope));
  const requested = (asked ?? "").split(" ").filter(Boolean);
  if (requested.length === 0) {
    if (allowed.length === 0) throw new GrantError(400, "invalid_scope", "The client has no custom scopes.");
    return allowed;
  }
  const refused = requested.find((scope) => !allowed.includes(scope));
  if (refused) throw new GrantError(400, "invalid_scope", `Scope ${refused} is not allowed for this client.`);
  return [...new Set(requested)];
}

/** Seconds an access token of `client` lives: its AccessTokenValidity in its unit (AWS's default, an hour, when unset). */
export function accessTokenSeconds(client: AppClient): number {
  if (client.AccessTokenValidity === undefined) return 3600;
  const unit = { seconds: 1, minutes: 60, hours: 3600, days: 86400 }[client.TokenValidityUnits?.AccessToken ?? "hours"] ?? 3600;
  return client.AccessTokenValidity * unit;
}

export async function clientCredentialsGrant(deps: Deps, ctx: Context, authorization: string | undefined, form: Form, res: ServerResponse): Promise<void> {
  try {
    const client = await authenticate(deps, ctx, credentialsOf(authorization, form));
    if (!client.AllowedOAuthFlowsUserPoolClient || !client.AllowedOAuthFlows?.includes("client_credentials")) {
      throw new GrantError(400, "unauthorized_client", "The client is not allowed the client credentials grant.");
    }
    const scopes = await grantedScopes(deps, ctx, client, form.scope);
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = accessTokenSeconds(client);
    const accessToken = mint({
      sub: client.ClientId,
      token_use: "access",
      scope: scopes.join(" "),
      auth_time: now,
      // The engine's issuer (its own port), as on its other tokens.
      iss: `${deps.engine.services.config.TokenConfig.IssuerDomain ?? "http://localhost:9229"}/${client.UserPoolId}`,
      exp: now + expiresIn,
      iat: now,
      version: 2,
      jti: randomUUID(),
      client_id: client.ClientId,
    });
    res.setHeader("Cache-Control", "no-store");
    sendJson(res, 200, { access_token: accessToken, expires_in: expiresIn, token_type: "Bearer" });
  } catch (err) {
    if (!(err instanceof GrantError)) throw err;
    if (err.status === 401) res.setHeader("WWW-Authenticate", 'Basic realm="oauth2/token"');
    sendJson(res, err.status, { error: err.error, error_description: err.message });
  }
}
