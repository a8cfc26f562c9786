// The console's views, one function each, drawn into #view. Each offers only what the server's
// rules (authz/rules.ts, run here over the caller's own permissions) would let the caller do, and
// still shows the server's problem detail where it belongs if a refusal comes back.
import type { Grant } from "../../authz/grants.ts";
import { holdsAdminGlobal, leadsEveryone } from "../../authz/relationship.ts";
import {
  grantAuthority,
  mayAddToProject,
  mayCreateProjects,
  mayDeleteProjects,
  mayDeleteUsers,
  mayEditProject,
  maySeeMembers,
  maySignOutOthers,
  revokeAuthority,
  userListScope,
} from "../../authz/rules.ts";
import { PERMISSION_TYPES, type PermissionTypeName } from "../../authz/permission-types.ts";
import { USER_OWNED, type UserOwnedField } from "../../users/fields.ts";
import { caller, client, forgetNames, nameOf, personName, practiceAreas, problemOf, projectList, setCaller, type GrantJson, type Profile, type Project } from "./api.ts";
import { announce, clearProblem, confirmAction, draftKey, field, h, keepDraft, render, showProblem, type Child } from "./dom.ts";
import { permissionLabel, permissionName } from "./permission-labels.ts";

export type View = (root: HTMLElement, arg: string | undefined, query: URLSearchParams) => Promise<void>;

const GLOBAL_ADMIN_TYPES: PermissionTypeName[] = ["adminGlobal", "adminVrms", "adminBrigade"];
const PAGE_SIZE = 20;

// ---- what the caller may do ------------------------------------------------------------------

export const powers = {
  listPeople: () => userListScope(caller.grants) !== undefined,
  seeEveryGrant: () => holdsAdminGlobal(caller.grants) || leadsEveryone(caller.grants),
  signOutServices: () => maySignOutOthers(caller.grants),
  /** The server's rule for /api/v1/webhooks (a person): a global administrator, by grant or group. */
  manageWebhooks: () => holdsAdminGlobal(caller.grants),
  /** The types the caller may grant in this place (project, practice area): the server's grantAuthority. */
  grantable: (project: string | null, practiceArea: string | null) =>
    PERMISSION_TYPES.filter((t) => (t.scope === "project") === (project !== null) && grantAuthority(caller.grants, { type: t.name, project, practiceArea }) !== undefined).map((t) => t.name),
  revoke: (g: GrantJson | { permission_type: string; project: string | null; practice_area: string | null }) =>
    revokeAuthority(caller.grants, { type: g.permission_type, project: g.project, practiceArea: g.practice_area }) !== undefined,
};

// ---- small parts -----------------------------------------------------------------------------

export const heading = (text: string) => h("h1", { tabIndex: -1 }, text);
export const link = (href: string, text: string, props: Record<string, unknown> = {}) => h("a", { href, ...props }, text);
export const when = (iso: string) => new Date(iso).toLocaleString();
export const formError = () => h("p", { className: "form-error", role: "alert" });

function select(options: [value: string, label: string][], value = ""): HTMLSelectElement {
  const node = h("select", {}, ...options.map(([v, label]) => h("option", { value: v }, label)));
  node.value = value;
  return node;
}

async function projectName(uuid: string | null): Promise<string> {
  if (uuid === null) return "everywhere";
  return (await projectList()).find((p) => p.uuid === uuid)?.name ?? `a deleted project (${uuid.slice(0, 8)})`;
}

async function areaName(uuid: string | null): Promise<string> {
  if (uuid === null) return "";
  return (await practiceAreas()).find((a) => a.uuid === uuid)?.name ?? uuid.slice(0, 8);
}

function pager(page: number, count: number, estimate: boolean, hasNext: boolean, go: (page: number) => void): HTMLElement {
  const pages = Math.max(1, Math.ceil(count / PAGE_SIZE));
  return h(
    "nav",
    { className: "pager", "aria-label": "Pages" },
    h("button", { type: "button", disabled: page <= 1, onclick: () => go(page - 1) }, "Previous"),
    h("span", { className: "page-of" }, `Page ${page} of ${estimate ? "about " : ""}${pages}`),
    h("button", { type: "button", disabled: !hasNext, onclick: () => go(page + 1) }, "Next"),
  );
}

/** Draws a table of grants with who granted them and when, each with Revoke where the caller may. */
async function grantRows(grants: GrantJson[], personLabel: (g: GrantJson) => Promise<Child>, after: () => void): Promise<HTMLElement[]> {
  return Promise.all(
    grants.map(async (g) => {
      const person = await personName(g.user);
      const label = `${permissionLabel(g.permission_type)} of ${person}${g.project ? ` in ${await projectName(g.project)}` : ""}`;
      return h(
        "tr",
        { className: "grant" },
        h("td", {}, await personLabel(g)),
        h("td", {}, permissionName(g.permission_type)),
        h("td", {}, g.project ? link(`#/projects/${g.project}`, await projectName(g.project)) : "everywhere"),
        h("td", {}, await areaName(g.practice_area)),
        h("td", {}, await personName(g.granted_by)),
        h("td", {}, when(g.created_at)),
        h("td", {}, powers.revoke(g) ? h("button", { type: "button", className: "secondary", "aria-label": `Revoke ${label}`, onclick: () => revokeGrant(g, label, person, after) }, "Revoke") : ""),
      );
    }),
  );
}

function revokeGrant(g: GrantJson, label: string, person: string, after: () => void): void {
  confirmAction({
    title: `Revoke ${permissionLabel(g.permission_type)} from ${person}?`,
    text: `${person} loses ${label.replace(/ of .*? in /, " in ")}. The history keeps a record.`,
    confirm: "Revoke",
    act: async () => {
      const { error, response } = await client.DELETE("/api/v1/user-permissions/{uuid}", { params: { path: { uuid: g.uuid } } });
      if (!response.ok) return problemOf(error, response).detail;
      announce(`Revoked ${permissionLabel(g.permission_type)} from ${person}.`);
      after();
      return undefined;
    },
  });
}

const grantHeaders = (first: string) =>
  h("thead", {}, h("tr", {}, ...[first, "Permission", "Project", "Practice area", "Granted by", "When", "Actions"].map((t) => h("th", { scope: "col" }, t))));

// ---- My profile ------------------------------------------------------------------------------

const INPUTS: Partial<Record<UserOwnedField, { type?: string; autocomplete?: string; label?: string; hint?: string; multiline?: boolean }>> = {
  first_name: { autocomplete: "given-name" },
  last_name: { autocomplete: "family-name" },
  preferred_email: { type: "email", autocomplete: "email" },
  gmail: { type: "email", autocomplete: "off", label: "Gmail address" },
  phone: { type: "tel", autocomplete: "tel", hint: "E.164, such as +14155552671" },
  texting_ok: { type: "checkbox", label: "Texting is OK" },
  linkedin_account: { autocomplete: "url", label: "LinkedIn account" },
  github_handle: { autocomplete: "off", label: "GitHub handle" },
  slack_member_id: { autocomplete: "off", label: "Slack member ID" },
  current_job_title: { autocomplete: "organization-title" },
  target_job_title: { autocomplete: "off" },
  current_skills: { multiline: true },
  target_skills: { multiline: true },
};

const labelOf = (name: string) => {
  const text = name.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
};

function profileInput(name: UserOwnedField, value: unknown): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
  const spec = INPUTS[name] ?? {};
  if (name === "time_zone") {
    const zones = Intl.supportedValuesOf("timeZone");
    const current = String(value ?? "America/Los_Angeles");
    return select((zones.includes(current) ? zones : [current, ...zones]).map((z) => [z, z.replace(/_/g, " ")]), current);
  }
  if (spec.type === "checkbox") return h("input", { type: "checkbox", checked: value === true });
  if (spec.multiline) return h("textarea", { rows: 3, value: value === null || value === undefined ? "" : String(value) });
  return h("input", { type: spec.type ?? "text", autocomplete: spec.autocomplete ?? "off", value: value === null || value === undefined ? "" : String(value) });
}

export const profileView: View = async (root) => {
  const me = caller.me!;
  const form = h("form", { id: "profile-form", noValidate: true, "aria-labelledby": "profile-h" });
  const fields = Object.keys(USER_OWNED) as UserOwnedField[];
  form.append(
    h("h2", { id: "profile-h" }, "Profile"),
    h("div", { className: "grid" }, ...fields.map((name) => field(INPUTS[name]?.label ?? labelOf(name), name, profileInput(name, me[name]), INPUTS[name]?.hint))),
    formError(),
    h("div", { className: "actions" }, h("button", { type: "submit", id: "save" }, "Save"), h("span", { id: "saved", role: "status" })),
  );
  const draft = keepDraft(form, me.uuid, "profile");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body: Record<string, unknown> = {};
    for (const name of fields) {
      const input = form.elements.namedItem(name) as HTMLInputElement;
      body[name] = input.type === "checkbox" ? input.checked : input.value.trim() === "" ? null : input.value.trim();
    }
    clearProblem(form);
    document.getElementById("saved")!.textContent = "";
    // The server validates each field (formats, lengths) and answers which ones are wrong.
    const { data, error, response } = await client.PATCH("/api/v1/me", { body });
    if (!data) return showProblem(form, problemOf(error, response), "Not saved.");
    draft.clear();
    setCaller(data);
    document.getElementById("saved")!.textContent = "Saved.";
    announce("Saved.");
  });
  const mine = await Promise.all(
    me.permissions.map(async (p) =>
      h("li", {}, h("strong", {}, permissionName(p.permission_type)), p.project ? [" in ", link(`#/projects/${p.project}`, await projectName(p.project))] : " (global)", p.practice_area ? `, ${await areaName(p.practice_area)}` : "", p.cognito_group ? ` (from the group ${p.cognito_group})` : ""),
    ),
  );
  render(root, 
    heading("My profile"),
    h("p", {}, `Signed in as ${me.email ?? me.username}.`),
    form,
    h("section", { "aria-labelledby": "perm-h" }, h("h2", { id: "perm-h" }, "Your permissions"), mine.length ? h("ul", {}, mine) : h("p", {}, "None yet: a project's manager adds you to their project.")),
    h(
      "section",
      { "aria-labelledby": "session-h" },
      h("h2", { id: "session-h" }, "Sessions"),
      h("p", {}, h("span", { id: "lifetime" })),
      // Everyone may end their own sessions (POST /api/v1/me/sign-out), a stolen one included.
      h("button", { type: "button", className: "secondary", id: "sign-out-everywhere", onclick: () => signOutEverywhere(me.uuid, "yourself", true) }, "Sign out everywhere"),
    ),
  );
};

/** Ends this page's session once the server has ended every one (set by app.ts). */
export const signOutHook = { local: async (): Promise<void> => {} };

function signOutEverywhere(uuid: string, who: string, self = false): void {
  confirmAction({
    title: `Sign ${who} out everywhere?`,
    text: `Every session of ${who} ends now, on every device and app.`,
    confirm: "Sign out everywhere",
    act: async () => {
      const { error, response } = self
        ? await client.POST("/api/v1/me/sign-out")
        : await client.POST("/api/v1/users/{uuid}/sign-out", { params: { path: { uuid } } });
      if (!response.ok) return problemOf(error, response).detail;
      if (self) {
        await signOutHook.local();
        return undefined;
      }
      announce(`Signed ${who} out everywhere.`);
      return undefined;
    },
  });
}

// ---- People ----------------------------------------------------------------------------------

export const peopleView: View = async (root, _arg, query) => {
  const page = Number(query.get("page") ?? 1);
  const ordering = query.get("ordering") ?? "-created_at";
  const go = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(changes)) if (v === null || v === "") next.delete(k); else next.set(k, v);
    location.hash = `#/people?${next}`;
  };
  const scope = userListScope(caller.grants)!;
  const projects = (await projectList()).filter((p) => scope.all || scope.scopes.some((s) => s.project === p.uuid));
  const search = h("input", { type: "search", id: "search", value: query.get("search") ?? "", autocomplete: "off" });
  const status = select([["", "Anyone"], ["true", "Active"], ["false", "Deactivated"]], query.get("is_active") ?? "");
  const project = select([["", scope.all ? "Any project" : "Any of my projects"], ...projects.map((p): [string, string] => [p.uuid, p.name])], query.get("project") ?? "");
  const form = h(
    "form",
    { role: "search", id: "search-form", className: "filters", "aria-label": "Find people" },
    field("Search", "search", search, "Name or email"),
    field("Status", "is_active", status),
    field("Project", "project", project),
    h("div", { className: "actions" }, h("button", { type: "submit" }, "Search")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go({ search: search.value.trim(), is_active: status.value, project: project.value, page: null });
  });
  const { data, error, response } = await client.GET("/api/v1/users", {
    params: {
      query: {
        page, page_size: PAGE_SIZE, ordering: ordering as "-created_at",
        ...(query.get("search") ? { search: query.get("search")! } : {}),
        ...(query.get("is_active") ? { is_active: query.get("is_active") === "true" } : {}),
        ...(query.get("project") ? { project: query.get("project")! } : {}),
      },
    },
  });
  const sortable = (label: string, key: string) => {
    const direction = ordering === key ? "ascending" : ordering === `-${key}` ? "descending" : "none";
    return h(
      "th",
      { scope: "col", "aria-sort": direction },
      h("button", { type: "button", className: "sort", onclick: () => go({ ordering: direction === "ascending" ? `-${key}` : key, page: null }) }, label, h("span", { "aria-hidden": "true" }, direction === "ascending" ? " ▲" : direction === "descending" ? " ▼" : "")),
    );
  };
  const table = data
    ? h(
        "table",
        { id: "users" },
        h("caption", {}, `People: ${data.count_is_estimate ? "about " : ""}${data.count}`),
        h("thead", {}, h("tr", {}, sortable("Name", "last_name"), sortable("Email", "email"), h("th", { scope: "col" }, "Status"), sortable("Joined", "created_at"))),
        h(
          "tbody",
          {},
          data.results.map((u) =>
            h(
              "tr",
              { className: "user" },
              h("td", {}, link(`#/people/${u.uuid}`, nameOf(u))),
              h("td", {}, u.email ?? ""),
              h("td", {}, u.is_active === false ? "deactivated" : "active"),
              h("td", {}, u.created_at ? new Date(u.created_at).toLocaleDateString() : ""),
            ),
          ),
        ),
      )
    : h("p", { className: "error", role: "alert" }, problemOf(error, response).detail ?? "");
  render(root, 
    heading("People"),
    form,
    h("div", { className: "scroll" }, table),
    data ? pager(page, data.count, data.count_is_estimate, data.next !== null, (p) => go({ page: String(p) })) : null,
  );
};

// ---- A person's page ---------------------------------------------------------------------------

const READABLE: [string, string][] = [
  ["email", "Email"], ["username", "Username"], ["preferred_email", "Preferred email"], ["phone", "Phone"], ["github_handle", "GitHub handle"],
  ["slack_member_id", "Slack member ID"], ["time_zone", "Time zone"], ["current_job_title", "Current job title"], ["last_login", "Last sign-in"], ["created_at", "Joined"],
];

export const personView: View = async (root, uuid) => {
  const { data: person, error, response } = await client.GET("/api/v1/users/{uuid}", { params: { path: { uuid: uuid! } } });
  if (!person) {
    render(root, heading("Person"), h("p", { className: "error", role: "alert" }, problemOf(error, response).detail ?? ""));
    return;
  }
  const name = nameOf(person);
  const redraw = () => void personView(root, uuid, new URLSearchParams());
  const [{ data: grants }, { data: history }] = await Promise.all([
    client.GET("/api/v1/user-permissions", { params: { query: { user: person.uuid, page_size: 100 } } }),
    client.GET("/api/v1/permission-history", { params: { query: { user: person.uuid, page_size: PAGE_SIZE } } }),
  ]);
  const facts = READABLE.filter(([key]) => person[key as keyof Profile] !== undefined && person[key as keyof Profile] !== null).map(([key, label]) => {
    const value = person[key as keyof Profile];
    return [h("dt", {}, label), h("dd", {}, key.endsWith("_at") || key === "last_login" ? when(String(value)) : String(value))];
  });
  const isSelf = person.uuid === caller.me!.uuid;
  const actions: HTMLElement[] = [];
  if (holdsAdminGlobal(caller.grants) && person.is_active !== undefined && !isSelf) {
    const active = person.is_active;
    actions.push(
      h("button", {
        type: "button", className: active ? "danger" : "secondary", id: "toggle-active",
        onclick: () =>
          confirmAction({
            title: `${active ? "Deactivate" : "Reactivate"} ${name}?`,
            text: active ? `${name} is refused by every app from their next request, until reactivated.` : `${name} may sign in and use the apps again.`,
            confirm: active ? "Deactivate" : "Reactivate",
            act: async () => {
              const { error: e, response: r } = await client.PATCH("/api/v1/users/{uuid}", { params: { path: { uuid: person.uuid } }, body: { is_active: !active } });
              if (!r.ok) return problemOf(e, r).detail;
              announce(`${name} ${active ? "deactivated" : "reactivated"}.`);
              redraw();
              return undefined;
            },
          }),
      }, active ? "Deactivate" : "Reactivate"),
    );
  }
  if (maySignOutOthers(caller.grants) && !isSelf) actions.push(h("button", { type: "button", className: "secondary", onclick: () => signOutEverywhere(person.uuid, name) }, "Sign out everywhere"));
  if (mayDeleteUsers(caller.grants) && !isSelf) {
    actions.push(
      h("button", {
        type: "button", className: "danger",
        onclick: () =>
          confirmAction({
            title: `Delete ${name}?`,
            text: `${name}'s profile and grants are deleted (the history keeps its records). Their next sign-in makes a new, empty profile.`,
            confirm: "Delete",
            act: async () => {
              const { error: e, response: r } = await client.DELETE("/api/v1/users/{uuid}", { params: { path: { uuid: person.uuid } } });
              if (!r.ok) return problemOf(e, r).detail;
              forgetNames();
              announce(`${name} deleted.`);
              location.hash = "#/people";
              return undefined;
            },
          }),
      }, "Delete"),
    );
  }
  const rows = grants ? await grantRows(grants.results, async (g) => (g.project ? h("span", {}, "in project") : "global"), redraw) : [];
  const historyRows = await historyTableRows(history?.results ?? []);
  render(root, 
    heading(name),
    person.is_active === false ? h("p", { className: "badge" }, "Deactivated") : null,
    facts.length ? h("dl", { className: "facts" }, facts) : null,
    actions.length ? h("section", { "aria-labelledby": "act-h" }, h("h2", { id: "act-h" }, "Actions"), h("div", { className: "actions" }, actions)) : null,
    h(
      "section",
      { "aria-labelledby": "grants-h" },
      h("h2", { id: "grants-h" }, "Permissions"),
      rows.length
        ? h("div", { className: "scroll" }, h("table", {}, h("caption", {}, `${name}'s permissions`), grantHeaders("Scope"), h("tbody", {}, rows)))
        : h("p", {}, "No permissions you may see."),
      await grantForm(person.uuid, name, redraw),
    ),
    h(
      "section",
      { "aria-labelledby": "history-h" },
      h("h2", { id: "history-h" }, "History"),
      historyRows.length ? h("div", { className: "scroll" }, historyTable(`${name}'s permission history, newest first`, historyRows)) : h("p", {}, "Nothing you may see."),
      h("p", {}, link(`#/history?user=${person.uuid}`, `All of ${name}'s history`)),
    ),
  );
};

/** Grant a permission to a person from their page: only types the caller may grant somewhere. */
async function grantForm(uuid: string, name: string, after: () => void): Promise<HTMLElement | null> {
  const projects = await projectList();
  const places: [string, string][] = [];
  if (powers.grantable(null, null).length) places.push(["", "Everywhere (a global type)"]);
  for (const p of projects) if (powers.grantable(p.uuid, null).length) places.push([p.uuid, p.name]);
  if (places.length === 0) return null;
  const project = select(places);
  const type = h("select", {});
  const fillTypes = () => type.replaceChildren(...powers.grantable(project.value || null, null).map((t) => h("option", { value: t }, permissionLabel(t))));
  fillTypes();
  project.addEventListener("change", fillTypes);
  const form = h("form", { "aria-labelledby": "grant-h", noValidate: true }, h("h3", { id: "grant-h" }, `Grant ${name} a permission`), field("Project", "project", project), field("Permission", "permission_type", type), formError(), h("div", { className: "actions" }, h("button", { type: "submit" }, "Grant")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem(form);
    const { data, error, response } = await client.POST("/api/v1/user-permissions", { body: { user: uuid, permission_type: type.value as PermissionTypeName, project: project.value || null } });
    if (!data) return showProblem(form, problemOf(error, response), "Not granted.");
    announce(`Granted ${permissionLabel(type.value)} to ${name}.`);
    after();
  });
  return form;
}

// ---- Projects ----------------------------------------------------------------------------------

function projectForm(options: { id: string; title: string; submit: string; project?: Project; save: (body: { name: string; description: string | null }) => Promise<{ ok: boolean; problem?: ReturnType<typeof problemOf> }> }): HTMLFormElement {
  const name = h("input", { type: "text", autocomplete: "off", required: true, value: options.project?.name ?? "" });
  const description = h("textarea", { rows: 2, value: options.project?.description ?? "" });
  const form = h(
    "form",
    { id: options.id, noValidate: true, "aria-labelledby": `${options.id}-h` },
    h("h2", { id: `${options.id}-h` }, options.title),
    field("Name", "name", name),
    field("Description", "description", description),
    formError(),
    h("div", { className: "actions" }, h("button", { type: "submit" }, options.submit)),
  );
  const draft = keepDraft(form, caller.me!.uuid, options.id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem(form);
    const outcome = await options.save({ name: name.value.trim(), description: description.value.trim() || null });
    if (!outcome.ok) {
      const problem = outcome.problem;
      // A taken name is a 409 for the whole body: it belongs at the Name field.
      if (problem && problem.status === 409 && !problem.errors) problem.errors = [{ field: "name", message: problem.detail ?? "taken" }];
      return showProblem(form, problem, "Not saved.");
    }
    draft.clear();
  });
  return form;
}

export const projectsView: View = async (root) => {
  const projects = await projectList(true);
  const list = h(
    "table",
    { id: "projects" },
    h("caption", {}, `Projects: ${projects.length}`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Description"))),
    h("tbody", {}, projects.map((p) => h("tr", {}, h("td", {}, link(`#/projects/${p.uuid}`, p.name)), h("td", {}, p.description ?? "")))),
  );
  const create = mayCreateProjects(caller.grants)
    ? projectForm({
        id: "new-project", title: "New project", submit: "Create",
        save: async (body) => {
          const { data, error, response } = await client.POST("/api/v1/projects", { body });
          if (!data) return { ok: false, problem: problemOf(error, response) };
          await projectList(true);
          announce(`Created ${data.name}.`);
          location.hash = `#/projects/${data.uuid}`;
          return { ok: true };
        },
      })
    : null;
  const toggle = create
    ? h("button", {
        type: "button", id: "new-project-button", "aria-expanded": "false", "aria-controls": "new-project",
        onclick: () => {
          create.hidden = !create.hidden;
          toggle!.setAttribute("aria-expanded", String(!create.hidden));
          if (!create.hidden) (create.querySelector("input") as HTMLInputElement).focus();
        },
      }, "New project")
    : null;
  if (create) create.hidden = sessionStorage.getItem(draftKey(caller.me!.uuid, "new-project")) === null;
  toggle?.setAttribute("aria-expanded", String(create ? !create.hidden : false));
  // A fresh pool: a sentence saying what to do, not an empty table.
  const none = h("p", { id: "no-projects" }, create ? "No projects yet: create the first with New project." : "No projects yet: an administrator creates them, and a project's manager adds you.");
  render(root, heading("Projects"), toggle, create, projects.length ? h("div", { className: "scroll" }, list) : none);
};

export const projectView: View = async (root, uuid) => {
  const { data: project, error, response } = await client.GET("/api/v1/projects/{uuid}", { params: { path: { uuid: uuid! } } });
  if (!project) {
    render(root, heading("Project"), h("p", { className: "error", role: "alert" }, problemOf(error, response).detail ?? ""));
    return;
  }
  const redraw = () => void projectView(root, uuid, new URLSearchParams());
  const parts: Child[] = [heading(project.name), project.description ? h("p", {}, project.description) : null];
  if (maySeeMembers(caller.grants, project.uuid)) {
    const { data: members } = await client.GET("/api/v1/projects/{uuid}/members", { params: { path: { uuid: project.uuid } } });
    const groups: Child[] = [];
    for (const type of PERMISSION_TYPES.filter((t) => t.scope === "project")) {
      const holders = (members ?? []).flatMap((m) => m.permissions.filter((p) => p.permission_type === type.name).map((p) => ({ user: m.user as Profile, permission: p })));
      if (holders.length === 0) continue;
      const items = await Promise.all(
        holders.map(async ({ user, permission }) => {
          const name = nameOf(user);
          const area = await areaName(permission.practice_area);
          const label = `${permissionLabel(type.name)} of ${name}${area ? ` (${area})` : ""}`;
          const grant = { uuid: permission.uuid!, user: user.uuid, permission_type: type.name, project: project.uuid, practice_area: permission.practice_area, granted_by: null, created_at: "" };
          return h(
            "li",
            { className: "member" },
            link(`#/people/${user.uuid}`, name),
            area ? ` (${area})` : "",
            " ",
            powers.revoke(grant) ? h("button", { type: "button", className: "secondary small", "aria-label": `Revoke ${label}`, onclick: () => revokeGrant(grant, label, name, redraw) }, "Revoke") : null,
          );
        }),
      );
      groups.push(h("h3", {}, permissionName(type.name), ` (${holders.length})`), h("ul", { className: "members" }, items));
    }
    parts.push(h("section", { "aria-labelledby": "members-h" }, h("h2", { id: "members-h" }, "Members"), groups.length ? groups : h("p", {}, "Nobody yet.")));
  }
  const addTypes = powers.grantable(project.uuid, null);
  if (addTypes.length) parts.push(await addMemberForm(project, addTypes, redraw));
  // Asked of the server too (POST /permissions/check answers by the routes' own rules): the two agree.
  const { data: check } = await client.POST("/api/v1/permissions/check", { body: { user: caller.me!.uuid, permission_type: "adminProject", project: project.uuid } });
  if (check?.allowed === true && mayEditProject(caller.grants, project.uuid)) {
    parts.push(
      projectForm({
        id: `edit-${project.uuid}`, title: "Edit project", submit: "Save", project,
        save: async (body) => {
          const { data, error: e, response: r } = await client.PATCH("/api/v1/projects/{uuid}", { params: { path: { uuid: project.uuid } }, body });
          if (!data) return { ok: false, problem: problemOf(e, r) };
          await projectList(true);
          announce("Saved.");
          redraw();
          return { ok: true };
        },
      }),
    );
  }
  if (mayDeleteProjects(caller.grants)) {
    parts.push(
      h("button", {
        type: "button", className: "danger",
        onclick: () =>
          confirmAction({
            title: `Delete the project ${project.name}?`,
            text: `Every permission in ${project.name} is revoked (each recorded in the history).`,
            confirm: "Delete project",
            act: async () => {
              const { error: e, response: r } = await client.DELETE("/api/v1/projects/{uuid}", { params: { path: { uuid: project.uuid } } });
              if (!r.ok) return problemOf(e, r).detail;
              await projectList(true);
              announce(`Deleted ${project.name}.`);
              location.hash = "#/projects";
              return undefined;
            },
          }),
      }, "Delete project"),
    );
  }
  render(root, ...parts);
};

async function addMemberForm(project: Project, types: PermissionTypeName[], after: () => void): Promise<HTMLElement> {
  const person = h("input", { type: "text", autocomplete: "off", spellcheck: false });
  const type = select(types.map((t) => [t, permissionLabel(t)]), types.includes("memberProject") ? "memberProject" : types[types.length - 1]);
  const areas = await practiceAreas();
  const area = select([["", "None (the whole project)"], ...areas.map((a): [string, string] => [a.uuid, a.name])]);
  const form = h(
    "form",
    { id: "add-member", noValidate: true, "aria-labelledby": "add-h" },
    h("h2", { id: "add-h" }, "Add member"),
    field("Person", "person", person, "Their exact email or GitHub handle"),
    field("Permission", "permission_type", type),
    field("Practice area", "practice_area", area, "Optional"),
    formError(),
    h("div", { className: "actions" }, h("button", { type: "submit" }, "Add")),
  );
  const draft = keepDraft(form, caller.me!.uuid, `add-${project.uuid}`);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem(form);
    const named = person.value.trim();
    const by = named.includes("@") ? { email: named } : { github_handle: named.replace(/^@/, "") };
    // Who may add newcomers sees who the email or handle names (uuid and name only) first.
    let who = named;
    if (mayAddToProject(caller.grants, project.uuid)) {
      const { data, error, response } = await client.GET("/api/v1/people/lookup", { params: { query: { ...by, project: project.uuid } } });
      if (!data) {
        const problem = problemOf(error, response);
        return showProblem(form, { ...problem, errors: (problem.errors ?? []).length ? problem.errors!.map((e) => ({ ...e, field: "person" })) : [{ field: "person", message: problem.detail ?? "" }] }, problem.detail ?? "");
      }
      who = nameOf({ uuid: data.uuid, first_name: data.first_name, last_name: data.last_name, email: named });
    }
    const { data, error, response } = await client.POST("/api/v1/user-permissions", {
      body: { ...by, permission_type: type.value as PermissionTypeName, project: project.uuid, ...(area.value ? { practice_area: area.value } : {}) },
    });
    if (!data) {
      const problem = problemOf(error, response);
      // The person's name is this form's Person field.
      const errors = problem.errors?.map((e) => ({ ...e, field: ["email", "github_handle", "user"].includes(e.field) ? "person" : e.field }));
      return showProblem(form, { ...problem, ...(errors ? { errors } : {}) }, "Not added.");
    }
    draft.clear();
    announce(`Added ${who} to ${project.name} as ${permissionLabel(type.value)}.`);
    after();
  });
  return form;
}

// ---- Admins ------------------------------------------------------------------------------------

export const adminsView: View = async (root) => {
  const sections = await Promise.all(
    GLOBAL_ADMIN_TYPES.map(async (typeName) => {
      const type = PERMISSION_TYPES.find((t) => t.name === typeName)!;
      const { data } = await client.GET("/api/v1/user-permissions", { params: { query: { permission_type: typeName, page_size: 100 } } });
      const people = await Promise.all((data?.results ?? []).map(async (g) => h("li", {}, link(`#/people/${g.user}`, await personName(g.user)), ` since ${new Date(g.created_at).toLocaleDateString()}`)));
      return h("section", { "aria-labelledby": `${typeName}-h` }, h("h2", { id: `${typeName}-h` }, permissionName(typeName)), h("p", { className: "hint" }, type.description), people.length ? h("ul", {}, people) : h("p", {}, "Nobody holds it as a grant."));
    }),
  );
  render(root, heading("Admins"), h("p", {}, "Who holds each global type as a stored grant. Members of a Cognito group mapped to a type (COGNITO_GROUP_PERMISSIONS) hold it too; Cognito lists them."), ...sections);
};

// ---- History -----------------------------------------------------------------------------------

async function historyTableRows(entries: { id: number; action: string; user: string; permission_type: string; project: string | null; practice_area: string | null; actor: string | null; at: string }[]): Promise<HTMLElement[]> {
  return Promise.all(
    entries.map(async (e) =>
      h(
        "tr",
        { className: "history" },
        h("td", {}, when(e.at)),
        h("td", {}, e.action === "grant" ? "granted" : "revoked"),
        h("td", {}, permissionName(e.permission_type)),
        h("td", {}, link(`#/people/${e.user}`, await personName(e.user))),
        h("td", {}, e.project ? await projectName(e.project) : "everywhere", e.practice_area ? ` (${await areaName(e.practice_area)})` : ""),
        h("td", {}, e.actor === null ? "a deletion" : e.actor.startsWith("service:") ? e.actor : await personName(e.actor)),
      ),
    ),
  );
}

function historyTable(caption: string, rows: HTMLElement[]): HTMLElement {
  return h("table", { className: "history-table" }, h("caption", {}, caption), h("thead", {}, h("tr", {}, ...["When", "Change", "Permission", "Person", "Project", "By"].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows));
}

export const historyView: View = async (root, _arg, query) => {
  const page = Number(query.get("page") ?? 1);
  const go = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(changes)) if (v === null || v === "") next.delete(k); else next.set(k, v);
    location.hash = `#/history?${next}`;
  };
  const user = query.get("user");
  const projectUuid = query.get("project");
  const { data, error, response } = await client.GET("/api/v1/permission-history", {
    params: { query: { page, page_size: PAGE_SIZE, ...(user ? { user } : {}), ...(projectUuid ? { project: projectUuid } : {}) } },
  });
  const people = new Map<string, string>();
  if (user) people.set(user, await personName(user));
  for (const e of data?.results ?? []) if (!people.has(e.user)) people.set(e.user, await personName(e.user));
  const person = select([["", "Anyone"], ...[...people].map(([u, n]): [string, string] => [u, n])], user ?? "");
  const project = select([["", "Any project"], ...(await projectList()).map((p): [string, string] => [p.uuid, p.name])], projectUuid ?? "");
  const form = h("form", { className: "filters", "aria-label": "Filter the history" }, field("Person", "user", person), field("Project", "project", project), h("div", { className: "actions" }, h("button", { type: "submit" }, "Filter")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    go({ user: person.value, project: project.value, page: null });
  });
  render(root, 
    heading("History"),
    form,
    data
      ? h("div", { className: "scroll" }, historyTable(`Permission history, newest first: ${data.count}`, await historyTableRows(data.results)))
      : h("p", { className: "error", role: "alert" }, problemOf(error, response).detail ?? ""),
    data ? pager(page, data.count, false, data.next !== null, (p) => go({ page: String(p) })) : null,
  );
};

// ---- Services ----------------------------------------------------------------------------------

export const servicesView: View = async (root) => {
  const clientId = h("input", { type: "text", autocomplete: "off", spellcheck: false });
  const form = h(
    "form",
    { noValidate: true, "aria-labelledby": "svc-h" },
    h("h2", { id: "svc-h" }, "Sign a service out"),
    h("p", {}, "Refuses every token the app holds now. An app that still has its secret gets a new one at once: to stop it for good, rotate the secret in Cognito."),
    field("Client id", "client_id", clientId, "As listed in COGNITO_SERVICE_CLIENT_IDS"),
    formError(),
    h("div", { className: "actions" }, h("button", { type: "submit", className: "danger" }, "Sign out service")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearProblem(form);
    const id = clientId.value.trim();
    confirmAction({
      title: `Sign the service ${id} out?`,
      text: `Every token ${id} holds now is refused.`,
      confirm: "Sign out service",
      act: async () => {
        const { error, response } = await client.POST("/api/v1/services/{client_id}/sign-out", { params: { path: { client_id: id } } });
        if (!response.ok) {
          const problem = problemOf(error, response);
          showProblem(form, { ...problem, errors: [{ field: "client_id", message: problem.detail ?? "" }] }, problem.detail ?? "");
          return undefined;
        }
        announce(`Signed ${id} out.`);
        return undefined;
      },
    });
  });
  render(root, heading("Services"), form);
};

export type { Grant };
