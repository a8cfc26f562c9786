// The /admin page: sign in through the Hosted UI (authorization code + PKCE, or the implicit
// grant where the pool is set up for it), see and edit your profile, and — for administrators —
// manage users. Tokens live in sessionStorage only. Runs in the browser; compiled by esbuild.
import { createVrmsClient, type RequestBody, type SuccessBody } from "../../../packages/client/src/index.ts";
import { USER_OWNED, type UserOwnedField } from "../../users/fields.ts";

type PageConfig = SuccessBody<"/admin/config.json", "get">;
type MyProfile = SuccessBody<"/api/v1/me", "get">;
type ProfileChanges = RequestBody<"/api/v1/me", "patch">;

interface Session {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  /** ms since the epoch */
  expires_at: number;
}

type Json = Record<string, unknown>;

// The API, typed by its OpenAPI document; every call carries the session's current access token.
const client = createVrmsClient({ baseUrl: location.origin, accessToken: () => loadSession()?.access_token });

const SESSION_KEY = "vrms.session";
const PENDING_KEY = "vrms.pending";
const REFRESH_BEFORE_MS = 60_000;
// The server's ownership table: the fields a person edits are the user-owned ones.
const EDITABLE = Object.keys(USER_OWNED) as UserOwnedField[];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** An element with properties and children; text goes in as text, never as HTML. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node: HTMLElementTagNameMap[K] = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function show(view: "signed-out" | "signed-in", message = ""): void {
  $("signed-out").hidden = view !== "signed-out";
  $("signed-in").hidden = view !== "signed-in";
  $("message").textContent = message;
}

// ---- storage ----------------------------------------------------------------------------------

function loadSession(): Session | undefined {
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

async function signIn(config: PageConfig): Promise<void> {
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
async function completeSignIn(config: PageConfig): Promise<string | undefined> {
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

function scheduleRefresh(config: PageConfig, session: Session): void {
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  const due = session.expires_at - REFRESH_BEFORE_MS - Date.now();
  refreshTimer = window.setTimeout(() => void refresh(config), Math.max(0, due));
}

async function refresh(config: PageConfig): Promise<void> {
  const session = loadSession();
  if (!session) return;
  if (!session.refresh_token || !config.cognito_domain) return expire();
  const res = await tokenEndpoint(config, { grant_type: "refresh_token", refresh_token: session.refresh_token }).catch(() => undefined);
  if (!res?.ok) return expire();
  const renewed = saveSession((await res.json()) as Session & { expires_in: number }, session);
  scheduleRefresh(config, renewed);
  renderLifetime();
}

function expire(): void {
  sessionStorage.removeItem(SESSION_KEY);
  show("signed-out", "Your session expired; sign in again.");
}

async function signOut(config: PageConfig): Promise<void> {
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

function renderLifetime(): void {
  const session = loadSession();
  if (!session) return;
  const seconds = Math.max(0, Math.round((session.expires_at - Date.now()) / 1000));
  $("lifetime").textContent = `Access token valid for ${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  $<HTMLInputElement>("curl").value = `curl -s -H "Authorization: Bearer ${session.access_token}" ${location.origin}/api/v1/me`;
}

function renderProfile(profile: MyProfile): void {
  $("who").textContent = `${String(profile.email ?? profile.username)}${profile.is_admin ? " (administrator)" : ""}`;
  const form = $<HTMLFormElement>("profile-form");
  form.replaceChildren();
  for (const field of EDITABLE) {
    const value = profile[field];
    const input =
      field === "texting_ok"
        ? el("input", { type: "checkbox", name: field, checked: value === true, id: `f-${field}` })
        : el("input", { type: "text", name: field, value: value === null || value === undefined ? "" : String(value), id: `f-${field}` });
    form.append(el("label", { htmlFor: `f-${field}` }, field.replace(/_/g, " ")), input, el("span", { className: "error", id: `e-${field}` }));
  }
  form.append(el("button", { type: "submit", id: "save" }, "Save"), el("span", { id: "saved" }));
}

async function saveProfile(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const body: Json = {};
  for (const field of EDITABLE) {
    const input = form.elements.namedItem(field) as HTMLInputElement;
    body[field] = field === "texting_ok" ? input.checked : input.value.trim() === "" ? null : input.value.trim();
  }
  for (const span of form.querySelectorAll(".error")) span.textContent = "";
  // The server validates each field (formats, lengths) and answers which ones are wrong.
  const { data, error, response } = await client.PATCH("/api/v1/me", { body: body as ProfileChanges });
  if (data) {
    renderProfile(data);
    $("saved").textContent = "Saved.";
    return;
  }
  for (const fieldError of error?.errors ?? []) {
    const span = document.getElementById(`e-${fieldError.field}`);
    if (span) span.textContent = fieldError.message;
  }
  $("saved").textContent = error?.detail ?? `Error ${response.status}`;
}

// ---- administrators: the users table -----------------------------------------------------------

let page = 1;

async function loadUsers(): Promise<void> {
  const search = $<HTMLInputElement>("search").value.trim();
  const { data, error, response } = await client.GET("/api/v1/users", { params: { query: { page, page_size: 20, ...(search ? { search } : {}) } } });
  const table = $("users");
  table.replaceChildren();
  if (!data) {
    table.append(el("tr", {}, el("td", {}, error?.detail ?? String(response.status))));
    return;
  }
  for (const user of data.results) {
    const path = { uuid: user.uuid };
    const toggle = el("button", { className: "toggle" }, user.is_active ? "Deactivate" : "Activate");
    toggle.addEventListener("click", async () => {
      await client.PATCH("/api/v1/users/{uuid}", { params: { path }, body: { is_active: !user.is_active } });
      await loadUsers();
    });
    const edit = el("button", { className: "edit" }, "Edit names");
    edit.addEventListener("click", async () => {
      const first = prompt("First name", String(user.first_name ?? ""));
      if (first === null) return;
      const last = prompt("Last name", String(user.last_name ?? ""));
      if (last === null) return;
      await client.PATCH("/api/v1/users/{uuid}", { params: { path }, body: { first_name: first || null, last_name: last || null } });
      await loadUsers();
    });
    table.append(
      el(
        "tr",
        { className: "user", title: String(user.email ?? "") },
        el("td", {}, String(user.email ?? user.username)),
        el("td", {}, `${String(user.first_name ?? "")} ${String(user.last_name ?? "")}`.trim()),
        el("td", {}, user.is_active ? "active" : "deactivated"),
        el("td", {}, toggle, edit),
      ),
    );
  }
  // Past 10,000 matches the server's count is an estimate: say so rather than promise a last page.
  $("page").textContent = `Page ${page} of ${data.count_is_estimate ? "about " : ""}${Math.max(1, Math.ceil(data.count / 20))}`;
  $<HTMLButtonElement>("prev").disabled = data.previous === null;
  $<HTMLButtonElement>("next").disabled = data.next === null;
}

// ---- start -------------------------------------------------------------------------------------

async function showSignedIn(config: PageConfig): Promise<void> {
  const session = loadSession();
  if (!session) return show("signed-out");
  if (session.expires_at - Date.now() < REFRESH_BEFORE_MS) await refresh(config);
  const { data: me, error, response } = await client.GET("/api/v1/me");
  if (!me) {
    sessionStorage.removeItem(SESSION_KEY);
    return show("signed-out", `Signed out: ${error?.detail ?? response.status}`);
  }
  show("signed-in");
  renderProfile(me);
  renderLifetime();
  scheduleRefresh(config, loadSession()!);
  $("admin").hidden = !me.is_admin;
  if (me.is_admin) await loadUsers();
}

async function main(): Promise<void> {
  const { data: config } = await client.GET("/admin/config.json");
  if (!config) return show("signed-out", "The page's configuration could not be loaded; reload the page.");
  $("sign-in").addEventListener("click", () => void signIn(config));
  $("sign-out").addEventListener("click", () => void signOut(config));
  $("copy").addEventListener("click", () => void navigator.clipboard.writeText(loadSession()?.access_token ?? ""));
  $("profile-form").addEventListener("submit", (e) => void saveProfile(e as SubmitEvent));
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    page = 1;
    void loadUsers();
  });
  $("prev").addEventListener("click", () => {
    page = Math.max(1, page - 1);
    void loadUsers();
  });
  $("next").addEventListener("click", () => {
    page += 1;
    void loadUsers();
  });
  setInterval(renderLifetime, 1000);
  const problem = await completeSignIn(config);
  if (problem) return show("signed-out", problem);
  await showSignedIn(config);
}

void main();
