// A secret the server shows once (a webhook's signing secret): in a modal <dialog> with a Copy
// button, and nowhere else. It is never put in the address, storage, a draft or the live region;
// closing the dialog (Done, Escape, or leaving the view) empties and removes it, so the secret
// stays in neither the DOM nor the page's state.
import { h, newId } from "./dom.ts";

export function showSecretOnce(options: { title: string; text: string; secret: string; returnTo: () => HTMLElement | null }): void {
  const titleId = newId("secret-title");
  const textId = newId("secret-text");
  const inputId = newId("secret");
  const status = h("p", { className: "hint", role: "status" });
  const input = h("input", { type: "text", id: inputId, readOnly: true, value: options.secret, autocomplete: "off", spellcheck: false, className: "secret" });
  const copy = h("button", { type: "button", id: "copy-secret" }, "Copy");
  const done = h("button", { type: "button", className: "secondary" }, "Done");
  const dialog = h(
    "dialog",
    { "aria-labelledby": titleId, "aria-describedby": textId, className: "secret-dialog" },
    h("h2", { id: titleId }, options.title),
    h("p", { id: textId }, h("strong", {}, "Copy it now: it will not be shown again. "), options.text),
    h("div", { className: "field" }, h("label", { htmlFor: inputId }, "Signing secret"), input),
    status,
    h("div", { className: "actions" }, copy, done),
  );
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = "Copied.";
    } catch {
      // No clipboard (an insecure origin, a refused permission): the text is selected for the person to copy.
      input.focus();
      input.select();
      status.textContent = "Could not copy: the secret is selected, copy it with your keyboard or menu.";
    }
  });
  done.addEventListener("click", () => dialog.close());
  const leave = () => dialog.close();
  // Leaving the view (the back button, a link) closes it too: no secret waits behind another page.
  // So does leaving the page: one kept in the back/forward cache would show it again on Back.
  window.addEventListener("hashchange", leave);
  window.addEventListener("pagehide", leave);
  dialog.addEventListener("close", () => {
    window.removeEventListener("hashchange", leave);
    window.removeEventListener("pagehide", leave);
    input.value = "";
    dialog.remove();
    const back = options.returnTo();
    if (back?.isConnected) back.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  copy.focus();
}
