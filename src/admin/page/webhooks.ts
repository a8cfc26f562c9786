// Webhooks in the console (global administrators, as /api/v1/webhooks allows): the subscriptions,
// a new one (its secret shown once), one subscription's page (edit, rotate the secret, delete, its
// deliveries and replay). A subscription's URL and description are anyone's text: they go in as
// text only, and the URL is never a link (a javascript: or look-alike address stays inert).
import type { SuccessBody } from "../../../packages/client/src/index.ts";
import { EVENT_TYPES, type EventType } from "../../events/types.ts";
import { caller, client, personName, problemOf, type Problem } from "./api.ts";
import { announce, clearProblem, confirmAction, draftKey, field, h, keepDraft, render, showProblem, type Child } from "./dom.ts";
import { showSecretOnce } from "./secret-dialog.ts";
import { formError, heading, link, when, type View } from "./views.ts";

type Subscription = SuccessBody<"/api/v1/webhooks/{uuid}", "get">;
type Delivery = SuccessBody<"/api/v1/webhooks/{uuid}/deliveries", "get">[number];

const ALL = "*";
type EventChoice = EventType | typeof ALL;

/** What the person reads of a subscription's state: enabled, failing since when, or disabled and why. */
function statusOf(s: Subscription): string {
  if (!s.enabled) return s.disabled_reason ? `Disabled by the server: ${s.disabled_reason}` : "Disabled";
  return s.failing_since ? `Enabled, deliveries failing since ${when(s.failing_since)}` : "Enabled";
}

const eventsOf = (s: Subscription) => (s.events.includes(ALL) ? "All events" : s.events.join(", "));

async function ownerOf(s: Subscription): Promise<string> {
  if (s.owner === caller.me!.uuid) return "You";
  if (s.owner.startsWith("service:")) return `The service ${s.owner.slice("service:".length)}`;
  return personName(s.owner);
}

/** Problems at the fields of this form: the API names `events.0` for an event, the form has one `events`. */
function atFields(problem: Problem): Problem {
  const errors = problem.errors?.map((e) => ({ ...e, field: e.field.startsWith("events") ? "events" : e.field }));
  return errors ? { ...problem, errors } : problem;
}

/** Event checkboxes in a fieldset: "All events", or each type; `events` names them for errors and drafts. */
function eventsFieldset(chosen: string[]): { node: HTMLFieldSetElement; value: () => EventChoice[]; sync: () => void } {
  const errorId = "e-events";
  const box = (value: string, label: string, hint?: string) => {
    const input = h("input", { type: "checkbox", id: `f-events-${value === ALL ? "all" : value}`, value, checked: chosen.includes(value), "aria-describedby": errorId });
    input.name = value === ALL ? "events" : `event-${value}`;
    return { input, node: h("div", { className: "field check" }, input, h("label", { htmlFor: input.id }, label, hint ? h("span", { className: "hint" }, ` ${hint}`) : null)) };
  };
  const all = box(ALL, "All events", "(including types added later)");
  const types = EVENT_TYPES.map((t) => box(t, t));
  const sync = () => {
    for (const t of types) t.input.disabled = all.input.checked;
  };
  all.input.addEventListener("change", sync);
  sync();
  const node = h(
    "fieldset",
    { className: "events" },
    h("legend", {}, "Events"),
    all.node,
    h("div", { className: "event-types" }, types.map((t) => t.node)),
    h("p", { id: errorId, className: "field-error" }),
  );
  return { node, sync, value: () => (all.input.checked ? [ALL] : types.filter((t) => t.input.checked).map((t) => t.input.value as EventType)) };
}

function subscriptionForm(options: {
  id: string; title: string; submit: string; subscription?: Subscription;
  save: (body: { url: string; events: EventChoice[]; description: string; enabled?: boolean }) => Promise<{ ok: true } | { ok: false; problem: Problem }>;
}): HTMLFormElement {
  const s = options.subscription;
  const url = h("input", { type: "url", autocomplete: "off", spellcheck: false, required: true, value: s?.url ?? "", inputmode: "url" });
  const events = eventsFieldset(s?.events ?? []);
  const description = h("textarea", { rows: 2, maxLength: 500, value: s?.description ?? "" });
  const enabled = s ? h("input", { type: "checkbox", checked: s.enabled }) : null;
  const form = h(
    "form",
    { id: options.id, noValidate: true, "aria-labelledby": `${options.id}-h` },
    h("h2", { id: `${options.id}-h` }, options.title),
    field("URL", "url", url, "https:// only; the server refuses addresses inside its own network"),
    events.node,
    field("Description", "description", description, "What it is for, for whoever reads this list next"),
    enabled ? field("Enabled", "enabled", enabled, s?.disabled_reason ? `The server disabled it: ${s.disabled_reason}` : undefined) : null,
    formError(),
    h("div", { className: "actions" }, h("button", { type: "submit" }, options.submit)),
  );
  const draft = keepDraft(form, caller.me!.uuid, options.id);
  // A draft put back may have checked All events: the types follow it.
  events.sync();
  const submit = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // One save at a time: a double tap on Create made two webhooks, each delivering every event,
    // the first one's secret hidden under the second's. aria-disabled rather than disabled: the
    // button keeps the focus (a disabled one drops it to <body>, and the keyboard starts over).
    if (submit.getAttribute("aria-disabled") === "true") return;
    clearProblem(form);
    const chosen = events.value();
    if (chosen.length === 0) return showProblem(form, { detail: "Not saved.", errors: [{ field: "events", message: "Choose at least one event, or All events." }] }, "Not saved.");
    submit.setAttribute("aria-disabled", "true");
    const outcome = await options
      .save({ url: url.value.trim(), events: chosen, description: description.value.trim(), ...(enabled ? { enabled: enabled.checked } : {}) })
      .finally(() => submit.removeAttribute("aria-disabled"));
    if (!outcome.ok) return showProblem(form, atFields(outcome.problem), "Not saved.");
    draft.clear();
  });
  return form;
}

// ---- the list and a new subscription ----------------------------------------------------------

export const webhooksView: View = async (root) => {
  const { data, error, response } = await client.GET("/api/v1/webhooks");
  if (!data) {
    render(root, heading("Webhooks"), h("p", { className: "error", role: "alert" }, problemOf(error, response).detail ?? ""));
    return;
  }
  const redraw = () => webhooksView(root, undefined, new URLSearchParams());
  const rows = await Promise.all(
    data.map(async (s) =>
      h(
        "tr",
        { className: "webhook" },
        // The link goes to this console's page about it; the URL is its text, never its target.
        h("td", { className: "url" }, link(`#/webhooks/${s.uuid}`, s.url)),
        h("td", {}, eventsOf(s)),
        h("td", {}, s.description),
        h("td", {}, statusOf(s)),
        h("td", {}, await ownerOf(s)),
      ),
    ),
  );
  const table = h(
    "table",
    { id: "webhooks" },
    h("caption", {}, `Webhooks: ${data.length}`),
    h("thead", {}, h("tr", {}, ...["URL", "Events", "Description", "Status", "Owner"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows),
  );
  const create = subscriptionForm({
    id: "new-webhook", title: "New webhook", submit: "Create",
    save: async (body) => {
      const { data: made, error: e, response: r } = await client.POST("/api/v1/webhooks", { body: { url: body.url, events: body.events, description: body.description } });
      if (!made) return { ok: false, problem: problemOf(e, r) };
      const { secret, ...subscription } = made;
      // Saved: the list drawn again must not put the typed draft back.
      sessionStorage.removeItem(draftKey(caller.me!.uuid, "new-webhook"));
      // A redraw that fails (the network) must not cost the person the secret.
      await redraw().catch(() => undefined);
      announce(`Created the webhook to ${subscription.url}.`);
      showSecretOnce({
        title: "The new webhook's signing secret",
        text: "Your receiver verifies each delivery with it (Standard Webhooks: webhook-signature). Lost it? Rotate secret, on the webhook's page, makes a new one.",
        secret,
        returnTo: () => root.querySelector<HTMLElement>(`a[href="#/webhooks/${subscription.uuid}"]`),
      });
      return { ok: true };
    },
  });
  const toggle = h("button", {
    type: "button", id: "new-webhook-button", "aria-controls": "new-webhook",
    onclick: () => {
      create.hidden = !create.hidden;
      toggle.setAttribute("aria-expanded", String(!create.hidden));
      if (!create.hidden) create.querySelector<HTMLInputElement>("input")!.focus();
    },
  }, "New webhook");
  create.hidden = sessionStorage.getItem(draftKey(caller.me!.uuid, "new-webhook")) === null;
  toggle.setAttribute("aria-expanded", String(!create.hidden));
  render(
    root,
    heading("Webhooks"),
    h("p", {}, "Apps learn what changed from signed deliveries to their URL (docs/events.md). A global administrator sees and manages every app's."),
    h("div", { className: "actions" }, toggle),
    create,
    data.length ? h("div", { className: "scroll" }, table) : h("p", { id: "no-webhooks" }, "No webhooks yet: an app's URL receives the events it subscribes to with New webhook."),
  );
};

// ---- one subscription ---------------------------------------------------------------------------

function deliveryRows(subscription: string, deliveries: Delivery[], after: () => void): HTMLElement[] {
  return deliveries.map((d) =>
    h(
      "tr",
      { className: `delivery ${d.state}` },
      h("td", {}, d.event_type),
      h("td", {}, d.state),
      h("td", {}, String(d.attempts)),
      h("td", {}, d.last_attempt_at ? when(d.last_attempt_at) : ""),
      h("td", {}, [d.last_status !== null ? `HTTP ${d.last_status}` : "", d.last_error ? ` ${d.last_error}` : ""].join("").trim()),
      h("td", {}, h("button", { type: "button", className: "secondary small", "aria-label": `Replay ${d.event_type} (event ${d.event.slice(0, 8)})`, onclick: (event: Event) => void replay(subscription, [d], after, event) }, "Replay")),
    ),
  );
}

/**
 * Sends deliveries again. The button pressed is aria-disabled until the view is drawn again (and
 * keeps the focus, which the redrawn view then gives its heading): a double tap replayed twice, the
 * second able to land while the first attempt was under way.
 */
async function replay(subscription: string, deliveries: Delivery[], after: () => void, event: Event): Promise<void> {
  const button = event.currentTarget as HTMLElement;
  if (button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  let done = 0;
  for (const d of deliveries) {
    const { error, response } = await client.POST("/api/v1/webhooks/{uuid}/deliveries/{delivery}/replay", { params: { path: { uuid: subscription, delivery: d.uuid } } });
    if (!response.ok) {
      announce(`Replayed ${done} of ${deliveries.length}: ${problemOf(error, response).detail ?? ""}`);
      return after();
    }
    done++;
  }
  announce(done === 1 ? `Replaying ${deliveries[0]!.event_type}: it is sent again now.` : `Replaying ${done} deliveries: they are sent again now.`);
  after();
}

const deliveryHeaders = () => h("thead", {}, h("tr", {}, ...["Event", "State", "Attempts", "Last attempt", "Last answer", "Actions"].map((t) => h("th", { scope: "col" }, t))));

export const webhookView: View = async (root, uuid) => {
  const path = { params: { path: { uuid: uuid! } } };
  const { data: s, error, response } = await client.GET("/api/v1/webhooks/{uuid}", path);
  if (!s) {
    render(root, heading("Webhook"), h("p", { className: "error", role: "alert" }, problemOf(error, response).detail ?? ""), h("p", {}, link("#/webhooks", "All webhooks")));
    return;
  }
  const redraw = () => webhookView(root, uuid, new URLSearchParams());
  const [{ data: failed }, { data: recent }] = await Promise.all([
    client.GET("/api/v1/webhooks/{uuid}/deliveries", { params: { path: { uuid: s.uuid }, query: { state: "failed", limit: 100 } } }),
    client.GET("/api/v1/webhooks/{uuid}/deliveries", { params: { path: { uuid: s.uuid }, query: { limit: 20 } } }),
  ]);
  const facts: [string, Child][] = [
    ["URL", h("code", { className: "url" }, s.url)],
    ["Events", eventsOf(s)],
    ["Description", s.description || "None"],
    ["Status", statusOf(s)],
    ["Owner", await ownerOf(s)],
    ["Created", when(s.created_at)],
  ];
  if (s.previous_secret_expires_at) facts.push(["Previous secret", `still signs too until ${when(s.previous_secret_expires_at)}`]);
  const edit = subscriptionForm({
    id: `edit-${s.uuid}`, title: "Edit", submit: "Save", subscription: s,
    save: async (body) => {
      const { data, error: e, response: r } = await client.PATCH("/api/v1/webhooks/{uuid}", { ...path, body });
      if (!data) return { ok: false, problem: problemOf(e, r) };
      announce("Saved.");
      void redraw();
      return { ok: true };
    },
  });
  const rotate = h("button", {
    type: "button", className: "secondary", id: "rotate-secret",
    onclick: () =>
      confirmAction({
        title: "Rotate the signing secret?",
        text: "A new secret signs every delivery from now on, shown to you once. The old one keeps signing too for 24 hours, so the receiver can switch without losing a delivery.",
        confirm: "Rotate secret",
        act: async () => {
          const { data, error: e, response: r } = await client.POST("/api/v1/webhooks/{uuid}/rotate-secret", path);
          if (!data) return problemOf(e, r).detail;
          // Drawn again first, as after Create: closed quickly, the dialog would give the focus back
          // to a button the redraw then removed, and a keyboard would start over from the page's top.
          // A redraw that fails (the network) must not cost the person the secret.
          await redraw().catch(() => undefined);
          showSecretOnce({
            title: "The webhook's new signing secret",
            text: `The old secret keeps signing too until ${when(data.previous_secret_expires_at)}. Lost this one? Rotate again.`,
            secret: data.secret,
            returnTo: () => root.querySelector<HTMLElement>("#rotate-secret") ?? root.querySelector<HTMLElement>("h1"),
          });
          return undefined;
        },
      }),
  }, "Rotate secret");
  const remove = h("button", {
    type: "button", className: "danger",
    onclick: () =>
      confirmAction({
        title: "Delete this webhook?",
        text: `Deliveries to ${s.url} stop, and its delivery records are deleted.`,
        confirm: "Delete webhook",
        act: async () => {
          const { error: e, response: r } = await client.DELETE("/api/v1/webhooks/{uuid}", path);
          if (!r.ok) return problemOf(e, r).detail;
          announce("Webhook deleted.");
          location.hash = "#/webhooks";
          return undefined;
        },
      }),
  }, "Delete webhook");
  const failedList = failed ?? [];
  render(
    root,
    heading("Webhook"),
    h("p", {}, link("#/webhooks", "All webhooks")),
    h("dl", { className: "facts" }, facts.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])),
    h("div", { className: "actions" }, rotate, remove),
    edit,
    h(
      "section",
      { "aria-labelledby": "failed-h" },
      h("h2", { id: "failed-h" }, `Failed deliveries (${failedList.length})`),
      h("p", { className: "hint" }, "Retried for 24 hours, then kept here. Replay sends one again now (the same webhook-id), with 24 hours of retries."),
      failedList.length
        ? [
            h("div", { className: "actions" }, h("button", { type: "button", id: "replay-failed", onclick: (event: Event) => void replay(s.uuid, failedList, redraw, event) }, `Replay all ${failedList.length} failed`)),
            h("div", { className: "scroll" }, h("table", { id: "failed-deliveries" }, h("caption", {}, "Failed deliveries, newest first"), deliveryHeaders(), h("tbody", {}, deliveryRows(s.uuid, failedList, redraw)))),
          ]
        : h("p", {}, "None."),
    ),
    h(
      "section",
      { "aria-labelledby": "recent-h" },
      h("h2", { id: "recent-h" }, "Recent deliveries"),
      recent?.length
        ? h("div", { className: "scroll" }, h("table", { id: "recent-deliveries" }, h("caption", {}, "The last 20 deliveries, newest first"), deliveryHeaders(), h("tbody", {}, deliveryRows(s.uuid, recent, redraw))))
        : h("p", {}, "None yet: a change to what it subscribes to sends one."),
    ),
  );
};
