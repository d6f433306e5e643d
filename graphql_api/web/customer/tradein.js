// `/t/<slug>`: the public trade-in page: one device, its condition, the instant offer, submit.

import { gql } from "./api.js";
import { clearErrors, field, h, showErrors } from "./dom.js";
import { DeviceEditor } from "./device.js";
import * as q from "./queries.js";

/** Paths of submitTradeIn's userErrors for the one device, as the editor names its fields. */
function editorPath(error) {
  const path = error.field || [];
  if (path[1] === "devices") return { ...error, field: ["device", ...path.slice(3)] };
  return error;
}

export function showTradeIn(root, { organization, opened }) {
  const editor = new DeviceEditor({ organization, instant: true, single: true });
  const general = h("p", { class: "form-error", role: "alert", hidden: true });
  const name = h("input", { type: "text", name: "name", autocomplete: "name", required: true });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
  const phone = h("input", { type: "tel", name: "phone", autocomplete: "tel" });
  const button = h("button", { type: "submit", class: "primary" }, "Send my trade-in");
  const form = h("form", { class: "trade-in", novalidate: true }, general,
    h("h2", {}, "Your device"), editor.element,
    h("h2", {}, "Your contact details"),
    field("Your name", name, "input.contact.name"),
    field("Your email", email, "input.contact.email"),
    field("Your phone (optional)", phone, "input.contact.phone"),
    button);
  root.replaceChildren(h("h1", { tabindex: "-1" }, `Trade in your device with ${organization.name}`), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    general.hidden = true;
    if (!editor.check(general)) return;
    button.disabled = true;
    try {
      const input = {
        organizationSlug: organization.slug,
        contact: { name: name.value.trim(), email: email.value.trim(), phone: phone.value.trim() || null },
        devices: [editor.value()],
        idempotencyKey: form.dataset.key || (form.dataset.key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now())),
      };
      const payload = (await gql(q.SUBMIT_TRADE_IN, { input })).submitTradeIn;
      if (payload.userErrors.length) return showErrors(form, payload.userErrors.map(editorPath), general);
      opened(payload.accessToken || payload.url.split("/").pop());
    } catch (error) {
      general.hidden = false;
      general.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
}
