// Before submission: the four steps of `/q/<token>`: contact, devices, the list, review & send.

import { gql } from "./api.js";
import { clearErrors, field, h, money, showErrors } from "./dom.js";
import { DeviceEditor, describe } from "./device.js";
import * as q from "./queries.js";

const STEPS = ["Your contact details", "Add a device", "Your devices", "Review and send"];
// Back from adding a device returns to the list once there is one.
const BACK = [() => 0, (count) => (count ? 2 : 0), () => 0, () => 2];

/** Show the form for `quote` (status REQUESTED) in `root`; `done(quote)` once it is submitted. */
export function showForm(root, { quote, token, done }) {
  const org = quote.organization;
  const devices = [];
  let step = 0;

  const heading = h("h1", { tabindex: "-1" });
  const progress = h("p", { class: "progress" });
  const general = h("p", { class: "form-error", role: "alert", hidden: true });

  const name = h("input", { type: "text", name: "name", autocomplete: "name", required: true,
    value: quote.contact ? quote.contact.name : "" });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true,
    value: quote.contact ? quote.contact.email : "" });
  const phone = h("input", { type: "tel", name: "phone", autocomplete: "tel",
    value: quote.contact && quote.contact.phone ? quote.contact.phone : "" });
  const contactStep = h("div", { class: "step", dataset: { field: "input.contact" } },
    field("Your name", name, "input.contact.name"),
    field("Your email", email, "input.contact.email"),
    field("Your phone (optional)", phone, "input.contact.phone"),
    h("p", { class: "error", id: "contact-error", hidden: true }));

  const editor = new DeviceEditor({
    organization: org,
    lookup: async (imei) => (await gql(q.LOOKUP, { input: { quoteId: quote.id, imeis: [imei] } }, token)).lookupImeis,
  });
  const deviceStep = h("div", { class: "step" }, editor.element);

  const list = h("ul", { class: "device-list" });
  const listStep = h("div", { class: "step" }, list);

  const message = h("textarea", { name: "message", rows: "3" });
  const review = h("div", { class: "review" });
  const reviewStep = h("div", { class: "step" }, review,
    field("A note to the shop (optional)", message, "input.message"));

  const steps = [contactStep, deviceStep, listStep, reviewStep];
  const back = h("button", { type: "button", class: "secondary", onclick: () => go(BACK[step](devices.length)) }, "Back");
  const next = h("button", { type: "submit", class: "primary" });
  const another = h("button", { type: "button", class: "secondary", onclick: () => go(1) }, "Add another device");
  const form = h("form", { class: "wizard", novalidate: true }, general, ...steps,
    h("div", { class: "actions" }, back, another, next));
  root.replaceChildren(h("p", { class: "intro" }, `${org.name} will make you an offer for your devices.`),
    heading, progress, form);

  function go(to) {
    step = Math.max(0, Math.min(3, to));
    clearErrors(form);
    general.hidden = true;
    steps.forEach((element, index) => { element.hidden = index !== step; });
    heading.textContent = STEPS[step];
    progress.textContent = `Step ${step + 1} of 4`;
    back.hidden = step === 0;
    another.hidden = step !== 2;
    next.textContent = ["Next", "Add this device", devices.length ? "Next" : "Add a device first", "Send to the shop"][step];
    next.disabled = step === 2 && !devices.length;
    if (step === 2) drawList();
    if (step === 3) drawReview();
    heading.focus();
  }

  function drawList() {
    list.replaceChildren(...devices.map((device, index) => h("li", { dataset: { field: `input.devices.${index}` } },
      h("span", {}, `${describe(device)} · ×${device.quantity} · ${money({ amount: device.askingPrice, currencyCode: org.currencyCode })}`),
      h("button", { type: "button", class: "link", "aria-label": `Remove ${describe(device)}`,
        onclick: () => { devices.splice(index, 1); go(2); } }, "Remove"),
      h("p", { class: "error", id: `device-${index}-error`, hidden: true }))));
    if (!devices.length) list.replaceChildren(h("li", { class: "hint" }, "No device yet."));
  }

  function total() {
    return devices.reduce((sum, d) => sum + Number(d.askingPrice) * d.quantity, 0).toFixed(2);
  }

  function drawReview() {
    review.replaceChildren(
      h("h2", {}, "You"),
      h("p", { dataset: { field: "input.contact" } }, `${name.value} · ${email.value}${phone.value ? ` · ${phone.value}` : ""}`,
        h("p", { class: "error", id: "review-contact-error", hidden: true })),
      h("h2", {}, "Devices"),
      h("ul", { class: "device-list" }, devices.map((device, index) => h("li", { dataset: { field: `input.devices.${index}` } },
        `${describe(device)} · ×${device.quantity} · ${money({ amount: device.askingPrice, currencyCode: org.currencyCode })} each`,
        h("p", { class: "error", id: `review-device-${index}-error`, hidden: true })))),
      h("p", { class: "total" }, "Total asking price: ",
        h("strong", {}, money({ amount: total(), currencyCode: org.currencyCode }))));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    general.hidden = true;
    if (step === 0) {
      const errors = [];
      if (!name.value.trim()) errors.push({ code: "INVALID_INPUT", message: "Type your name", field: ["input", "contact", "name"] });
      if (!/^\S+@\S+\.\S+$/.test(email.value.trim())) errors.push({ code: "INVALID_INPUT", message: "Type your email, like name@example.com", field: ["input", "contact", "email"] });
      if (errors.length) return showErrors(form, errors, general);
      return go(devices.length ? 2 : 1);
    }
    if (step === 1) {
      if (!editor.check(general)) return;
      devices.push(editor.value());
      editor.reset();
      return go(2);
    }
    if (step === 2) return go(3);
    next.disabled = true;
    try {
      const input = {
        quoteId: quote.id,
        contact: { name: name.value.trim(), email: email.value.trim(), phone: phone.value.trim() || null },
        devices, message: message.value.trim() || null,
      };
      const payload = (await gql(q.SUBMIT, { input }, token)).submitQuote;
      if (payload.userErrors.length) return showErrors(form, payload.userErrors, general);
      done(payload.quote);
    } catch (error) {
      general.hidden = false;
      general.textContent = error.message;
    } finally {
      next.disabled = false;
    }
  });
  go(0);
}
