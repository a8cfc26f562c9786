// The /admin console: sign in through the Hosted UI (auth.ts), then the views (views.ts) for what
// this person may do, chosen by the address's #fragment. Runs in the browser; bundled by esbuild.
import { completeSignIn, hooks, loadSession, REFRESH_BEFORE_MS, refresh, retryNow, scheduleRefresh, signIn, signOut, type PageConfig } from "./auth.ts";
import { caller, client, onUnauthorized, setCaller } from "./api.ts";
import { $, announce, forgetDrafts, h } from "./dom.ts";
import { adminsView, historyView, peopleView, personView, powers, profileView, projectsView, projectView, servicesView, signOutHook, type View } from "./views.ts";
import { webhooksView, webhookView } from "./webhooks.ts";

interface Route {
  path: string;
  label?: string;
  view: View;
  /** Whether the caller may use it at all: no link, and no view, otherwise. */
  allowed: () => boolean;
}

const always = () => true;
const ROUTES: Route[] = [
  { path: "profile", label: "My profile", view: profileView, allowed: always },
  { path: "people", label: "People", view: peopleView, allowed: powers.listPeople },
  { path: "projects", label: "Projects", view: projectsView, allowed: always },
  { path: "admins", label: "Admins", view: adminsView, allowed: powers.seeEveryGrant },
  { path: "history", label: "History", view: historyView, allowed: always },
  { path: "services", label: "Services", view: servicesView, allowed: powers.signOutServices },
  { path: "webhooks", label: "Webhooks", view: webhooksView, allowed: powers.manageWebhooks },
];

function show(view: "signed-out" | "signed-in", message = ""): void {
  $("signed-out").hidden = view !== "signed-out";
  $("signed-in").hidden = view !== "signed-in";
  $("nav").hidden = view !== "signed-in";
  $("account").hidden = view !== "signed-in";
  if (message || view === "signed-out") $("message").textContent = message;
}

function renderNav(current: string): void {
  const links = ROUTES.filter((r) => r.label && r.allowed()).map((r) =>
    // Going elsewhere by the navigation ends the last view's news ("Revoked …" under People would mislead).
    h("li", {}, h("a", { href: `#/${r.path}`, onclick: () => ($("message").textContent = ""), ...(r.path === current ? { "aria-current": "page" } : {}) }, r.label!)),
  );
  $("nav").replaceChildren(h("ul", {}, links));
}

let drawing = 0;

/** Draws the view the address names; the heading takes focus after a navigation, for screen readers. */
async function route(focus: boolean): Promise<void> {
  const [path = "profile", query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [top = "profile", arg] = path.split("/");
  const found = ROUTES.find((r) => r.path === top && r.allowed()) ?? ROUTES[0]!;
  const pages: Record<string, View> = { people: personView, projects: projectView, webhooks: webhookView };
  const view = (arg && pages[found.path]) || found.view;
  renderNav(found.path);
  const ticket = ++drawing;
  const root = h("div", { id: "view-inner" });
  await view(root, arg, new URLSearchParams(query));
  // A slower earlier view must not replace a later one.
  if (ticket !== drawing) return;
  $("view").replaceChildren(root);
  document.title = `${root.querySelector("h1")?.textContent ?? "Console"} · VRMS admin`;
  if (focus) root.querySelector<HTMLElement>("h1")?.focus();
  renderLifetime();
}

function renderLifetime(): void {
  const session = loadSession();
  const slot = document.getElementById("lifetime");
  if (!session || !slot) return;
  const seconds = Math.max(0, Math.round((session.expires_at - Date.now()) / 1000));
  slot.textContent = `This session's access token is valid for ${Math.floor(seconds / 60)} min ${seconds % 60} s.`;
}

async function showSignedIn(config: PageConfig): Promise<void> {
  const session = loadSession();
  if (!session) return show("signed-out");
  if (session.expires_at - Date.now() < REFRESH_BEFORE_MS) {
    const outcome = await refresh(config);
    if (outcome === "refused" || outcome === "signed-out") return;
    // Expired, and the sign-in server out of reach: the banner says it retries; its success draws the page.
    if (outcome === "unreachable" && session.expires_at <= Date.now()) return;
  }
  const { data: me, error, response } = await client.GET("/api/v1/me");
  if (!me) {
    // Only the server's refusal ends the session: a network failure (503 from api.ts) keeps it for a reload.
    if (response.status !== 401 && response.status !== 403) return show("signed-out", `${error?.detail ?? response.status} Reload the page to try again.`);
    sessionStorage.removeItem("vrms.session");
    return show("signed-out", `Signed out: ${error?.detail ?? response.status}`);
  }
  setCaller(me);
  $("who").textContent = `${me.email ?? me.username}${me.is_admin ? " (administrator)" : ""}`;
  show("signed-in");
  scheduleRefresh(config, loadSession()!);
  await route(false);
}

async function main(): Promise<void> {
  const { data: config } = await client.GET("/admin/config.json");
  if (!config) return show("signed-out", "The page's configuration could not be loaded; reload the page.");
  hooks.signedOut = (message) => {
    $("connection").textContent = "";
    show("signed-out", message);
  };
  // A renewal that cannot reach the sign-in server keeps the session and retries (auth.ts): said in
  // its own live region, which navigation does not clear, and once, not at every retry.
  const connection = $("connection");
  hooks.unreachable = () => {
    const text = "Can't reach the server to renew your session: retrying. You stay signed in, and what you type is kept.";
    if (connection.textContent !== text) connection.textContent = text;
  };
  hooks.renewed = () => {
    if (connection.textContent) {
      connection.textContent = "";
      // An access token that ran out during the outage is renewed now: the session is whole again.
      $("expired").hidden = true;
      announce("Connected again: your session is renewed.");
      if (!caller.me) void showSignedIn(config);
    }
    renderLifetime();
  };
  window.addEventListener("online", () => retryNow(config));
  // Signing out (here, or everywhere through the API) forgets what was typed: the next person in this tab must not find it.
  const signOutHere = () => {
    forgetDrafts();
    return signOut(config);
  };
  signOutHook.local = () => {
    forgetDrafts();
    return signOut(config, { everywhere: true });
  };
  // The session ended while the page was open: what was typed stays (drafts), and signing in again returns here.
  onUnauthorized.handler = () => {
    announce("Your session has expired. Sign in again: what you typed is kept.");
    $("expired").hidden = false;
  };
  $("sign-in").addEventListener("click", () => void signIn(config));
  $("sign-in-again").addEventListener("click", () => {
    sessionStorage.setItem("vrms.return", location.hash);
    void signIn(config);
  });
  $("sign-out").addEventListener("click", () => void signOutHere());
  window.addEventListener("hashchange", () => void (caller.me && route(true)));
  setInterval(renderLifetime, 1000);
  const problem = await completeSignIn(config);
  if (problem) return show("signed-out", problem);
  const back = sessionStorage.getItem("vrms.return");
  if (back) {
    sessionStorage.removeItem("vrms.return");
    history.replaceState(null, "", `${location.pathname}${back}`);
  }
  if (!loadSession()) return show("signed-out");
  await showSignedIn(config);
}

void main();
