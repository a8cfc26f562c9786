// Signing in through the Hosted UI (authorization code + PKCE, or the implicit grant where the pool
// is set up for it), refreshing before expiry, and signing out. Tokens live in sessionStorage only.
import type { SuccessBody } from "../../../packages/client/src/index.ts";
import { client } from "./api.ts";

export type PageConfig = SuccessBody<"/admin/config.json", "get">;

/** How the page shows the outcome: signed out (with a message), or a renewed session. */
export const hooks = { signedOut: (message: string): void => void message, renewed: (): void => {} };
const show = (_view: "signed-out", message = "") => hooks.signedOut(message);
const renderLifetime = () => hooks.renewed();

export interface Session {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  /** ms since the epoch */
  expires_at: number;
}

type Json = Record<string, unknown>;

export const SESSION_KEY = "vrms.session";
const PENDING_KEY = "vrms.pending";
export const REFRESH_BEFORE_MS = 60_000;
// The server's ownership table: the fields a person edits are the user-owned ones.
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

// ---- PKCE ------------------------------------------------------------------------------------

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function challengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

// ---- sign-in -----------------------------------------------------------------------------------

export async function signIn(config: PageConfig): Promise<void> {
  if (!config.cognito_domain) {
    show("signed-out", "No Hosted UI is configured (COGNITO_DOMAIN).");
    return;
  }
  const state = randomString();
  const verifier = randomString(48);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ state, verifier }));
  const url = new URL("/oauth2/authorize", config.cognito_domain);
  url.search = new URLSearchParams({
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    response_type: config.implicit_grant ? "token" : "code",
    scope: config.scopes.join(" "),
    state,
    ...(config.implicit_grant ? {} : { code_challenge: await challengeOf(verifier), code_challenge_method: "S256" }),
  }).toString();
  location.assign(url.toString());
}

/** Back from the Hosted UI: `?code&state` or `#access_token&state`. Returns an error message, if any. */
export async function completeSignIn(config: PageConfig): Promise<string | undefined> {
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  const returned = query.get("code") ?? fragment.get("access_token");
  const error = query.get("error") ?? fragment.get("error");
  if (!returned && !error) return undefined;
  // Whatever came back, it leaves the address bar and the history now.
  history.replaceState(null, "", location.pathname);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null") as { state: string; verifier: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  if (error) return `Sign-in failed: ${query.get("error_description") ?? error}`;
  const state = query.get("state") ?? fragment.get("state");
  if (!pending || state !== pending.state) return "Sign-in refused: the response does not match the sign-in this page started.";
  if (fragment.get("access_token")) {
    saveSession({
      access_token: fragment.get("access_token")!,
      ...(fragment.get("id_token") ? { id_token: fragment.get("id_token")! } : {}),
      expires_in: Number(fragment.get("expires_in") ?? 3600),
    });
    return undefined;
  }
  const res = await tokenEndpoint(config, {
    grant_type: "authorization_code",
    code: query.get("code")!,
    redirect_uri: config.redirect_uri,
    code_verifier: pending.verifier,
  });
  if (!res.ok) return `Sign-in failed: ${String((await res.json().catch(() => ({})) as Json).error_description ?? res.status)}`;
  saveSession((await res.json()) as Session & { expires_in: number });
  return undefined;
}

function tokenEndpoint(config: PageConfig, form: Record<string, string>): Promise<Response> {
  return fetch(new URL("/oauth2/token", config.cognito_domain!), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: config.client_id, ...form }).toString(),
  });
}

// ---- refresh and sign-out ----------------------------------------------------------------------

let refreshTimer: number | undefined;

export function scheduleRefresh(config: PageConfig, session: Session): void {
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  const due = session.expires_at - REFRESH_BEFORE_MS - Date.now();
  refreshTimer = window.setTimeout(() => void refresh(config), Math.max(0, due));
}

export async function refresh(config: PageConfig): Promise<void> {
  const session = loadSession();
  if (!session) return;
  if (!session.refresh_token || !config.cognito_domain) return expire();
  const res = await tokenEndpoint(config, { grant_type: "refresh_token", refresh_token: session.refresh_token }).catch(() => undefined);
  if (!res?.ok) return expire();
  const renewed = saveSession((await res.json()) as Session & { expires_in: number }, session);
  scheduleRefresh(config, renewed);
  renderLifetime();
}

export function expire(): void {
  sessionStorage.removeItem(SESSION_KEY);
  show("signed-out", "Your session expired; sign in again.");
}

export async function signOut(config: PageConfig): Promise<void> {
  const session = loadSession();
  sessionStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (session) {
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
  show("signed-out", "Signed out.");
}

