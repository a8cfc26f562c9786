// The API through the typed client (packages/client), with what every view needs of it: the
// caller's powers (the server's own rules, authz/rules.ts, over /me's permissions), people's names,
// and the one place a 401 mid-edit is handled.
import { createVrmsClient, type Problem, type SuccessBody } from "../../../packages/client/src/index.ts";
import type { Grant } from "../../authz/grants.ts";
import type { PermissionTypeName } from "../../authz/permission-types.ts";
import { loadSession } from "./auth.ts";

export const client = createVrmsClient({ baseUrl: location.origin, accessToken: () => loadSession()?.access_token });

/** What a call answers when the server cannot be reached (offline, server down, connection cut). */
export const UNREACHABLE_DETAIL = "The server could not be reached: check your connection and try again. What you typed is kept.";

// A failed fetch would throw past every view's problem handling (a blank view, a silent Save): it
// becomes a problem like the server's own, shown where the form shows the server's.
client.use({
  onError: () =>
    new Response(JSON.stringify({ type: "about:blank", title: "Service Unavailable", status: 503, detail: UNREACHABLE_DETAIL, code: "unreachable" }), {
      status: 503,
      headers: { "content-type": "application/problem+json" },
    }),
});

export type Me = SuccessBody<"/api/v1/me", "get">;
export type Profile = SuccessBody<"/api/v1/users/{uuid}", "get">;
export type Project = SuccessBody<"/api/v1/projects/{uuid}", "get">;
export type GrantJson = SuccessBody<"/api/v1/user-permissions", "get">["results"][number];
export type { Problem };

/** The signed-in person: their profile and permissions (group ones included), as the server's rules take them. */
export const caller = { me: undefined as Me | undefined, grants: [] as Grant[] };

export function setCaller(me: Me): void {
  caller.me = me;
  caller.grants = me.permissions.map((p) => ({ uuid: p.uuid, type: p.permission_type as PermissionTypeName, project: p.project, practiceArea: p.practice_area }));
}

/** Told when the server answers 401: the session ended while the page was open. */
export const onUnauthorized = { handler: (): void => {} };

/** A call's problem: a 401 also tells the page (which keeps what was typed and offers to sign in). */
export function problemOf(error: Problem | undefined, response: Response): Problem {
  if (response.status === 401) onUnauthorized.handler();
  return error ?? { type: "about:blank", title: response.statusText, status: response.status, detail: `The server answered ${response.status}.`, code: "error" };
}

const names = new Map<string, Promise<string>>();

/** How a person is named on the page: their name, else their email, else a short uuid. */
export function nameOf(profile: Partial<Profile> & { uuid: string }): string {
  const full = [profile.first_name, profile.last_name].filter(Boolean).join(" ");
  return full || profile.email || profile.username || `someone (${profile.uuid.slice(0, 8)})`;
}

export function personName(uuid: string | null): Promise<string> {
  if (uuid === null) return Promise.resolve("a service or a removed record");
  let name = names.get(uuid);
  if (!name) {
    name = client.GET("/api/v1/users/{uuid}", { params: { path: { uuid } } }).then(({ data }) => (data ? nameOf(data) : `someone (${uuid.slice(0, 8)})`));
    names.set(uuid, name);
  }
  return name;
}

export function forgetNames(): void {
  names.clear();
}

let projectsCache: Promise<Project[]> | undefined;

export function projectList(fresh = false): Promise<Project[]> {
  if (fresh || !projectsCache) projectsCache = client.GET("/api/v1/projects").then(({ data }) => data ?? []);
  return projectsCache;
}

let areasCache: Promise<{ uuid: string; name: string }[]> | undefined;

export function practiceAreas(): Promise<{ uuid: string; name: string }[]> {
  areasCache ??= client.GET("/api/v1/practice-areas").then(({ data }) => data ?? []);
  return areasCache;
}
