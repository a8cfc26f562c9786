// A tiny render helper over the DOM: elements with properties, attributes, listeners and children;
// text goes in as text, never as HTML (no innerHTML anywhere: the CSP and XSS both ask for it).
export type Child = Node | string | null | undefined | false | Child[];
type Props = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value as EventListener);
    else if (key.includes("-") || key === "for" || key === "role" || key === "scope" || key === "autocomplete" || key === "inputmode") node.setAttribute(key, value === true ? "" : String(value));
    else (node as unknown as Props)[key] = value;
  }
  append(node, children);
  return node;
}

function append(node: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Says something in the page's live region (screen readers hear it; sighted people see it). */
export function announce(text: string): void {
  const region = $("message");
  // Cleared first so that the same words said twice are heard twice.
  region.textContent = "";
  requestAnimationFrame(() => (region.textContent = text));
}

let uniqueId = 0;
export const newId = (prefix: string) => `${prefix}-${++uniqueId}`;

/**
 * A confirmation <dialog> naming what is about to happen. `act` runs on confirm: undefined closes the
 * dialog, a string (the server's problem detail) is shown inside it and the dialog stays open.
 */
export function confirmAction(options: { title: string; text: string; confirm: string; act: () => Promise<string | undefined> }): void {
  const titleId = newId("dialog-title");
  const textId = newId("dialog-text");
  const errorId = newId("dialog-error");
  const error = h("p", { id: errorId, className: "error", role: "alert" });
  const cancel = h("button", { type: "button", className: "secondary", onclick: () => dialog.close() }, "Cancel");
  const ok = h("button", { type: "submit", className: "danger" }, options.confirm);
  const form = h("form", { method: "dialog" }, h("h2", { id: titleId }, options.title), h("p", { id: textId }, options.text), error, h("div", { className: "actions" }, cancel, ok));
  // Described by what is about to happen (heard as the dialog opens, before Cancel), then by the server's refusal.
  const dialog = h("dialog", { "aria-labelledby": titleId, "aria-describedby": `${textId} ${errorId}` }, form);
  const opener = document.activeElement as HTMLElement | null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ok.disabled = true;
    const problem = await options.act();
    ok.disabled = false;
    if (problem === undefined) dialog.close();
    else error.textContent = problem;
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  cancel.focus();
}

/** Field errors at their fields (aria-invalid, aria-describedby) and the form's own error. */
export function showProblem(form: HTMLFormElement, problem: { detail?: string; errors?: { field: string; message: string }[] } | undefined, fallback: string): void {
  clearProblem(form);
  const listed = problem?.errors ?? [];
  let first: HTMLElement | undefined;
  for (const { field, message } of listed) {
    const input = form.querySelector<HTMLElement>(`[name="${CSS.escape(field)}"]`);
    const slot = input ? form.querySelector<HTMLElement>(`#${CSS.escape(input.getAttribute("aria-describedby")?.split(" ")[0] ?? "")}`) : null;
    if (input && slot) {
      input.setAttribute("aria-invalid", "true");
      slot.textContent = message;
      first ??= input;
    }
  }
  const general = form.querySelector<HTMLElement>(".form-error");
  // The form's own slot is an alert: said there, not said twice (nor over "Your session has expired").
  if (general) general.textContent = problem?.detail ?? fallback;
  else announce(problem?.detail ?? fallback);
  first?.focus();
}

export function clearProblem(form: HTMLFormElement): void {
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const slot of form.querySelectorAll(".field-error, .form-error")) slot.textContent = "";
}

/** A labelled field with an error slot the input points at: `name` is the API's field name. */
export function field(label: string, name: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const errorId = `e-${name}`;
  const hintId = hint ? `h-${name}` : undefined;
  input.id ||= `f-${name}`;
  input.name = name;
  input.setAttribute("aria-describedby", [errorId, hintId].filter(Boolean).join(" "));
  const isCheck = input instanceof HTMLInputElement && input.type === "checkbox";
  return h(
    "div",
    { className: isCheck ? "field check" : "field" },
    isCheck ? [input, h("label", { htmlFor: input.id }, label)] : [h("label", { htmlFor: input.id }, label), input],
    hint ? h("p", { id: hintId, className: "hint" }, hint) : null,
    h("p", { id: errorId, className: "field-error" }),
  );
}

const DRAFT_PREFIX = "vrms.draft.";

/**
 * Keeps what is typed in a form across an expired session and the sign-in round trip: saved to
 * sessionStorage as it is typed, put back when the form is drawn again, dropped once saved. `owner`
 * (the signed-in person's uuid) is part of the key: someone else signing in in the same tab is
 * never handed another person's phone number or emails, nor saves them into their own profile.
 */
export function keepDraft(form: HTMLFormElement, owner: string, key: string): { clear: () => void } {
  const storageKey = draftKey(owner, key);
  const saved = JSON.parse(sessionStorage.getItem(storageKey) ?? "null") as Record<string, string | boolean> | null;
  if (saved) {
    for (const [name, value] of Object.entries(saved)) {
      const input = form.elements.namedItem(name);
      if (input instanceof HTMLInputElement && input.type === "checkbox") input.checked = value === true;
      else if (input instanceof HTMLInputElement || input instanceof HTMLSelectElement || input instanceof HTMLTextAreaElement) input.value = String(value);
    }
  }
  const save = () => {
    const values: Record<string, string | boolean> = {};
    for (const input of form.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>("input[name], select[name], textarea[name]")) {
      values[input.name] = input instanceof HTMLInputElement && input.type === "checkbox" ? input.checked : input.value;
    }
    sessionStorage.setItem(storageKey, JSON.stringify(values));
  };
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  return { clear: () => sessionStorage.removeItem(storageKey) };
}

export const draftKey = (owner: string, key: string) => `${DRAFT_PREFIX}${owner}.${key}`;

/** Signing out forgets every draft: what was typed (profile fields among it) is no one's business after. */
export function forgetDrafts(): void {
  for (const key of Object.keys(sessionStorage)) if (key.startsWith(DRAFT_PREFIX)) sessionStorage.removeItem(key);
}

/**
 * Replaces a node's children (falsy ones skipped). Focus inside the old children (a dialog's
 * opener, a form's button) would fall to <body> and a keyboard or screen-reader user would start
 * again from the top: it goes to the new heading instead.
 */
export function render(root: Node & ParentNode, ...children: Child[]): void {
  const hadFocus = document.activeElement !== null && document.activeElement !== document.body && root.contains(document.activeElement);
  root.replaceChildren();
  append(root, children);
  if (hadFocus) root.querySelector<HTMLElement>("h1")?.focus();
}
