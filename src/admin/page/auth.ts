// Signing in through the Hosted UI (authorization code + PKCE, or the implicit grant where the pool
// is set up for it), refreshing before expiry, and signing out. Tokens live in sessionStorage only.
// The code flow and refresh go through oauth4webapi: state, PKCE, the token responses and the ID
// token's claims (issuer, audience, expiry) are checked by a well-kept library, not by hand.
import type { SuccessBody } from "../../../packages/client/src/index.ts";
import * as oauth from "oauth4webapi";
import { client } from "./api.ts";

export type PageConfig = SuccessBody<"/admin/config.json", "get">;

/**
 * How the page shows the outcome: signed out (with a message), a renewed session, or a renewal
 * that could not reach the sign-in server and will be tried again (`retryInMs`).
 */
export const hooks = {
  signedOut: (message: string): void => void message,
  renewed: (): void => {},
  unreachable: (retryInMs: number): void => void retryInMs,
};
const show = (_view: "signed-out", message = "") => hooks.signedOut(message);
const renderLifetime = () => hooks.renewed();

export interface Session {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  /** ms since the epoch */
  expires_at: number;
}

export const SESSION_KEY = "vrms.session";
const PENDING_KEY = "vrms.pending";
export const REFRESH_BEFORE_MS = 60_000;
// ---- storage ----------------------------------------------------------------------------------

export function loadSession(): Session | undefined {
  const raw = sessionStorage.getItem(SESSION_KEY);
  return raw ? (JSON.parse(raw) as Session) : undefined;
}

function saveSession(tokens: { access_token: string; id_token?: string; refresh_token?: string; expires_in?: number }, previous?: Session): Session {
  const session: Session = {
    access_token: tokens.access_token,
    expires_at: Date.now() + (tokens.expires_in ?? 3600) * 1000,
    ...(tokens.id_token ? { id_token: tokens.id_token } : {}),
    ...((tokens.refresh_token ?? previous?.refresh_token) ? { refresh_token: (tokens.refresh_token ?? previous?.refresh_token)! } : {}),
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

// ---- the authorization server ------------------------------------------------------------------

// Built from config.json rather than discovered: the pool's discovery document lives under its
// issuer (cognito-idp.<region>.amazonaws.com on AWS), another origin than the Hosted UI's, and the
// page's CSP lets it fetch only from the Hosted UI. The endpoints are the Hosted UI's fixed paths.
function authorizationServer(config: PageConfig): oauth.AuthorizationServer {
  const domain = config.cognito_domain!;
  return {
    issuer: config.issuer,
    authorization_endpoint: new URL("/oauth2/authorize", domain).href,
    token_endpoint: new URL("/oauth2/token", domain).href,
  };
}

const clientOf = (config: PageConfig): oauth.Client => ({ client_id: config.client_id });
// The server accepts an http:// Hosted UI only on loopback (the emulator); anything else is https.
const requestOptions = (config: PageConfig) => ({ [oauth.allowInsecureRequests]: config.cognito_domain!.startsWith("http:") });

// ---- sign-in -----------------------------------------------------------------------------------

export async function signIn(config: PageConfig): Promise<void> {
  if (!config.cognito_domain) {
    show("signed-out", "No Hosted UI is configured (COGNITO_DOMAIN).");
    return;
  }
  const state = oauth.generateRandomState();
  const verifier = oauth.generateRandomCodeVerifier();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ state, verifier }));
  const url = new URL(authorizationServer(config).authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    response_type: config.implicit_grant ? "token" : "code",
    scope: config.scopes.join(" "),
    state,
    ...(config.implicit_grant ? {} : { code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" }),
  }).toString();
  location.assign(url.toString());
}

const MISMATCH = "Sign-in refused: the response does not match the sign-in this page started.";

/** Back from the Hosted UI: `?code&state` or `#access_token&state`. Returns an error message, if any. */
export async function completeSignIn(config: PageConfig): Promise<string | undefined> {
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  const implicit = fragment.has("access_token") || (fragment.has("error") && !query.has("error"));
  if (!query.has("code") && !query.has("error") && !implicit) return undefined;
  // Whatever came back, it leaves the address bar and the history now.
  history.replaceState(null, "", location.pathname);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null") as { state: string; verifier: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  if (!config.cognito_domain) return "No Hosted UI is configured (COGNITO_DOMAIN).";
  return implicit ? completeImplicit(fragment, pending) : completeCode(config, query, pending);
}

async function completeCode(config: PageConfig, query: URLSearchParams, pending: { state: string; verifier: string } | null): Promise<string | undefined> {
  const as = authorizationServer(config);
  const client = clientOf(config);
  try {
    const params = oauth.validateAuthResponse(as, client, query, pending?.state ?? oauth.expectNoState);
    if (!pending) return MISMATCH;
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, config.redirect_uri, pending.verifier, requestOptions(config));
    saveSession(await oauth.processAuthorizationCodeResponse(as, client, response));
    return undefined;
  } catch (err) {
    return failure(err);
  }
}

// oauth4webapi has no implicit grant (OAuth 2.1 drops it), so this small path stays hand-written:
// the state must be the one this page stored, and the token goes to sessionStorage only. The API
// checks the token's signature, issuer, client and expiry on every call.
function completeImplicit(fragment: URLSearchParams, pending: { state: string } | null): string | undefined {
  if (!pending || fragment.get("state") !== pending.state) return MISMATCH;
  const error = fragment.get("error");
  if (error) return `Sign-in failed: ${fragment.get("error_description") ?? error}`;
  saveSession({
    access_token: fragment.get("access_token")!,
    ...(fragment.get("id_token") ? { id_token: fragment.get("id_token")! } : {}),
    expires_in: Number(fragment.get("expires_in") ?? 3600),
  });
  return undefined;
}

function failure(err: unknown): string {
  if (err instanceof oauth.AuthorizationResponseError || err instanceof oauth.ResponseBodyError) {
    return `Sign-in failed: ${err.error_description ?? err.error}`;
  }
  if (err instanceof oauth.OperationProcessingError && /state/.test(err.message)) return MISMATCH;
  return `Sign-in failed: ${err instanceof Error ? err.message : String(err)}`;
}

// ---- refresh and sign-out ----------------------------------------------------------------------

let refreshTimer: number | undefined;
/** Renewals in a row that could not reach the sign-in server: the next retry waits longer. */
let unreachableInARow = 0;
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;

/** 2 s, 4 s, 8 s … up to a minute, each between half and all of that (jitter: a pool of pages coming back at once is spread). */
export function retryDelay(failures: number, random = Math.random()): number {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/**
 * Only the authorization server's refusal (an OAuth error answer such as 400 invalid_grant: the
 * refresh token is revoked, expired or not this client's) ends the session. A fetch that throws
 * (offline, DNS, a connection cut), a 5xx, a 429 or an answer that is not OAuth's (a proxy's page)
 * says nothing about the session: it is kept and the renewal tried again.
 */
function refused(err: unknown): boolean {
  return err instanceof oauth.ResponseBodyError && err.status >= 400 && err.status < 500 && err.status !== 429;
}

/**
 * The soonest a renewal follows the last: a sign-in server that answers `expires_in: 0` (or less
 * than REFRESH_BEFORE_MS) would otherwise be asked again at once, and again, as fast as it answers.
 */
const RENEW_AT_MOST_EVERY_MS = 10_000;
/** How long a renewal waits for the sign-in server's answer, body included. */
const RENEWAL_TIMEOUT_MS = 15_000;

export function scheduleRefresh(config: PageConfig, session: Session): void {
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  const due = session.expires_at - REFRESH_BEFORE_MS - Date.now();
  refreshTimer = window.setTimeout(() => void refresh(config), Math.max(RENEW_AT_MOST_EVERY_MS, due));
}

export type RefreshOutcome = "renewed" | "refused" | "unreachable" | "signed-out";

/** The renewal under way: another asked for meanwhile (back online, a timer) joins it rather than racing it. */
let renewing: Promise<RefreshOutcome> | undefined;

export function refresh(config: PageConfig): Promise<RefreshOutcome> {
  renewing ??= renew(config).finally(() => (renewing = undefined));
  return renewing;
}

async function renew(config: PageConfig): Promise<RefreshOutcome> {
  const session = loadSession();
  if (!session) return "signed-out";
  if (!session.refresh_token || !config.cognito_domain) {
    expire();
    return "refused";
  }
  const as = authorizationServer(config);
  const client = clientOf(config);
  let tokens: oauth.TokenEndpointResponse;
  // A sign-in server that never answers would hold this renewal, and every one that joins it, for
  // ever: given up on after a while, it counts as out of reach and is retried.
  const abandon = new AbortController();
  const giveUp = window.setTimeout(() => abandon.abort(), RENEWAL_TIMEOUT_MS);
  try {
    const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), session.refresh_token, { ...requestOptions(config), signal: abandon.signal });
    tokens = await oauth.processRefreshTokenResponse(as, client, response);
  } catch (err) {
    // Signed out meanwhile (another tab, the button): nothing to keep or retry.
    if (!loadSession()) return "signed-out";
    if (refused(err)) {
      expire();
      return "refused";
    }
    const wait = retryDelay(++unreachableInARow);
    if (refreshTimer !== undefined) clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(() => void refresh(config), wait);
    hooks.unreachable(wait);
    return "unreachable";
  } finally {
    clearTimeout(giveUp);
  }
  unreachableInARow = 0;
  scheduleRefresh(config, saveSession(tokens, session));
  renderLifetime();
  return "renewed";
}

/** Back online: the renewal waiting for its retry is tried at once. */
export function retryNow(config: PageConfig): void {
  if (unreachableInARow === 0 || !loadSession()) return;
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  void refresh(config);
}

export function expire(): void {
  unreachableInARow = 0;
  sessionStorage.removeItem(SESSION_KEY);
  show("signed-out", "Your session expired; sign in again.");
}

/** `everywhere`: the server has already ended every session of this person, this one included. */
export async function signOut(config: PageConfig, { everywhere = false } = {}): Promise<void> {
  const session = loadSession();
  sessionStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  unreachableInARow = 0;
  if (session && !everywhere) {
    // The backend revokes the refresh token and this session everywhere.
    await client
      .POST("/api/v1/auth/logout", {
        // Removed from storage above: named here.
        headers: { authorization: `Bearer ${session.access_token}` },
        body: session.refresh_token ? { refresh_token: session.refresh_token } : {},
      })
      .catch(() => undefined);
  }
  if (config.logout_supported && config.cognito_domain) {
    const url = new URL("/logout", config.cognito_domain);
    url.search = new URLSearchParams({ client_id: config.client_id, logout_uri: config.redirect_uri }).toString();
    location.assign(url.toString());
    return;
  }
  show("signed-out", everywhere ? "Signed out everywhere." : "Signed out.");
}

