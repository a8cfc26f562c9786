// The HTTP front of the dev stack's Cognito: who may call it (this machine, by its loopback name,
// from no web page but local ones), what it adds to cognito-local (operations, OAuth refresh,
// client credentials and revocation, a discovery document that lists the endpoints), and the rest
// handed to cognito-local.
import type { IncomingMessage, ServerResponse } from "node:http";
import { CognitoError, UnsupportedError } from "./cognito-local.ts";
import type { Context } from "./cognito-local.ts";
import { hostAllowList, loopbackHosts } from "../../http/allowed-hosts.ts";
import { LOCALHOST_ORIGIN } from "../../net.ts";
import type { Deps, Operation } from "./deps.ts";
import type { EngineLogger } from "./engine.ts";
import { clientCredentialsGrant } from "./client-credentials.ts";
import { discovery } from "./discovery.ts";
import { formAction, refusal, unsafeFormParameter } from "./hosted-ui.ts";
import { oauthRefresh, oauthRevoke } from "./oauth.ts";
import { resourceServerOperations } from "./resource-servers.ts";
import { signInOperations } from "./sign-in.ts";
import { liveAccessToken, signOutOperations } from "./sign-out.ts";
import { readBody, sendJson } from "./http.ts";
import { claimsOf } from "./tokens.ts";

export function createFront(deps: Deps, logger: EngineLogger, port: number): (req: IncomingMessage, res: ServerResponse) => void {
  const operations: Record<string, Operation> = { ...signInOperations(deps), ...signOutOperations(deps), ...resourceServerOperations(deps) };
  const answersTo = hostAllowList(loopbackHosts(port));
  const ctx: Context = { logger };
  return (req, res) => {
    // A DNS name rebound to 127.0.0.1 reaches this port too: its Host header gives it away.
    if (!answersTo(req)) return sendJson(res, 421, { message: "This emulator answers only to localhost." });
    // Pages that may call it: the API's and any other served from this machine by name.
    const origin = req.headers.origin;
    if (origin !== undefined && !LOCALHOST_ORIGIN.test(origin)) return sendJson(res, 403, { message: `Origin ${origin} may not call the dev stack's Cognito.` });
    if (origin !== undefined) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Vary", "Origin");
    }
    if (req.method === "OPTIONS") return preflight(req, res);
    const url = new URL(req.url ?? "/", `http://localhost:${port}`);
    handle(req, res, url).catch((err: unknown) => {
      logger.error({ err: (err as Error).message, path: url.pathname }, "dev stack Cognito front failed");
      if (!res.headersSent) sendJson(res, 500, { message: "internal error" });
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    // The engine (express) matches paths without case and with a trailing slash: so must the
    // front, or "/OAuth2/Token/" would reach the engine's refresh grant past every rule below.
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const route = path.toLowerCase();
    const wellKnown = /^\/([\w-]+)\/\.well-known\/openid-configuration$/i.exec(path);
    if (req.method === "GET" && wellKnown) {
      const doc = await discovery(deps, ctx, `http://localhost:${port}`, wellKnown[1]!);
      return doc ? sendJson(res, 200, doc) : sendJson(res, 404, { message: "No such user pool." });
    }
    if (req.method === "POST" && route === "/" && typeof req.headers["x-amz-target"] === "string") {
      return operation(req.headers["x-amz-target"], await readBody(req), res);
    }
    // The Hosted UI's login page: whatever the method (express answers HEAD with the GET route).
    const hostedUi = route === "/oauth2/authorize";
    const unsafeQuery = hostedUi ? unsafeFormParameter((name) => url.searchParams.getAll(name)) : undefined;
    if (unsafeQuery) return sendJson(res, 400, refusal(unsafeQuery));
    let clientId = hostedUi ? (url.searchParams.get("client_id") ?? undefined) : undefined;
    if (req.method === "POST" && (route === "/oauth2/token" || route === "/oauth2/revoke" || hostedUi)) {
      const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
      if (route === "/oauth2/revoke") return oauthRevoke(deps, ctx, form, res);
      if (route === "/oauth2/token" && form.grant_type === "refresh_token") return oauthRefresh(deps, ctx, form, res);
      if (route === "/oauth2/token" && form.grant_type === "client_credentials") return clientCredentialsGrant(deps, ctx, req.headers.authorization, form, res);
      if (hostedUi) {
        // After a wrong password the engine writes the posted values into the page again.
        const unsafe = unsafeFormParameter((name) => (form[name] === undefined ? [] : [form[name]]));
        if (unsafe) return sendJson(res, 400, refusal(unsafe));
        // The engine's Hosted UI signs in users it has disabled.
        if (await isDisabled(form.client_id, form.username)) {
          return sendJson(res, 400, { error: "access_denied", error_description: "User is disabled." });
        }
        clientId = form.client_id;
      }
      // The engine's body parser leaves a request alone once it has been read.
      (req as IncomingMessage & { body?: unknown }).body = form;
    }
    forward(req, res, hostedUi ? await formAction(deps, ctx, clientId) : "'self'");
  }

  async function isDisabled(clientId: string | undefined, username: string | undefined): Promise<boolean> {
    if (!clientId || !username) return false;
    try {
      const pool = await deps.engine.services.cognito.getUserPoolForClientId(ctx, clientId);
      return (await pool.getUserByUsername(ctx, username))?.Enabled === false;
    } catch {
      // An unknown client: the engine answers that itself.
      return false;
    }
  }

  async function operation(header: string, body: string, res: ServerResponse): Promise<void> {
    const target = header.split(".")[1] ?? "";
    let input: unknown;
    try {
      input = JSON.parse(body || "{}");
    } catch {
      input = undefined;
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return sendJson(res, 400, { __type: "SerializationException", message: "The request body is not a JSON object." });
    }
    try {
      // cognito-local decodes access tokens without checking signature, expiry or sign-out.
      if ("AccessToken" in input) liveAccessToken(deps, input.AccessToken);
      const run = Object.hasOwn(operations, target) ? operations[target]! : deps.engine.route(target);
      sendJson(res, 200, completeResult(await run(ctx, input)), "application/x-amz-json-1.1");
    } catch (err) {
      if (err instanceof CognitoError) return sendJson(res, 400, { __type: err.code, message: err.message });
      if (err instanceof UnsupportedError) return sendJson(res, 500, { __type: "CognitoLocal#Unsupported", message: `Cognito Local unsupported feature: ${err.message}` });
      throw err;
    }
  }

  /** To the engine; `formAction`: where a page it answers may post (hosted-ui.ts). */
  function forward(req: IncomingMessage, res: ServerResponse, formAction: string): void {
    // cognito-local answers every origin with `*`; the headers set above are the only CORS ones.
    const setHeader = res.setHeader.bind(res);
    // Its Hosted UI login form puts query parameters into the page unescaped (the front refuses
    // values that would break out, hosted-ui.ts): besides, no script may run on this origin, which
    // the front trusts as a local page, no other page may frame it, and its form leads only here
    // and to the client's callbacks.
    setHeader("Content-Security-Policy", `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'`);
    res.setHeader = (name, value) => (name.toLowerCase().startsWith("access-control-") ? res : setHeader(name, value));
    deps.engine.handle(req, res);
  }
}

function preflight(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  res.setHeader("Access-Control-Allow-Headers", req.headers["access-control-request-headers"] ?? "content-type, x-amz-target, x-amz-user-agent");
  res.setHeader("Access-Control-Max-Age", "600");
  res.writeHead(204).end();
}

/** Cognito's AuthenticationResult has ExpiresIn and TokenType; cognito-local leaves them out. */
function completeResult(output: unknown): unknown {
  const result = (output as { AuthenticationResult?: Record<string, unknown> } | undefined)?.AuthenticationResult;
  if (result && typeof result.AccessToken === "string") {
    const claims = claimsOf(result.AccessToken);
    result.ExpiresIn ??= Number(claims.exp) - Number(claims.iat);
    result.TokenType ??= "Bearer";
  }
  return output;
}
