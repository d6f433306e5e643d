// `/portal/<slug>`: sign in with a code sent by email, then the customer's quotes, each opening
// the same thread view as the link.

import { ApiError, gql } from "./api.js";
import { clearErrors, field, h, money, showErrors, titleCase, when } from "./dom.js";
import * as q from "./queries.js";
import { showQuote } from "./thread.js";

const storageKey = (slug) => `tradequote-portal-${slug}`;

let openView = null;

export function showPortal(root, { organization, branded }) {
  const slug = organization.slug;
  window.addEventListener("hashchange", () => {
    const token = sessionStorage.getItem(storageKey(slug));
    if (token) showList(root, { organization, token, branded });
  });
  const saved = sessionStorage.getItem(storageKey(slug));
  if (saved) return showList(root, { organization, token: saved, branded });
  return signIn(root, { organization, branded });
}

function signIn(root, { organization, branded }) {
  const general = h("p", { class: "form-error", role: "alert", hidden: true });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
  const code = h("input", { type: "text", name: "code", autocomplete: "one-time-code",
    inputmode: "numeric" });
  const codeField = field("The code from the email", code, "input.code");
  codeField.hidden = true;
  const sent = h("p", { class: "notice ok", role: "status", hidden: true });
  const button = h("button", { type: "submit", class: "primary" }, "Email me a code");
  const form = h("form", { class: "portal-sign-in", novalidate: true }, general,
    field("Your email", email, "input.email"), sent, codeField, button);
  root.replaceChildren(h("h1", { tabindex: "-1" }, `Your quotes with ${organization.name}`),
    h("p", {}, "No password: we email you a code to sign in."), form);
  let codeSent = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    general.hidden = true;
    button.disabled = true;
    try {
      if (!codeSent) {
        const input = { organizationSlug: organization.slug, email: email.value.trim() };
        const payload = (await gql(q.REQUEST_CODE, { input })).requestPortalCode;
        if (payload.userErrors.length) return showErrors(form, payload.userErrors, general);
        codeSent = true;
        sent.hidden = false;
        sent.textContent = `If ${email.value.trim()} has quotes with ${organization.name}, a code is on its way. Type it below.`;
        codeField.hidden = false;
        button.textContent = "Sign in";
        code.focus();
        return;
      }
      const input = { organizationSlug: organization.slug, email: email.value.trim(), code: code.value.trim() };
      const payload = (await gql(q.SIGN_IN, { input })).signInToPortal;
      if (payload.userErrors.length) return showErrors(form, payload.userErrors, general);
      sessionStorage.setItem(storageKey(organization.slug), payload.token);
      showList(root, { organization, token: payload.token, branded });
    } catch (error) {
      general.hidden = false;
      general.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
}

async function showList(root, { organization, token, branded }) {
  if (openView && openView.live) openView.live.stop();
  openView = null;
  const opened = new URLSearchParams(location.hash.slice(1)).get("quote");
  if (opened) return openQuote(root, { organization, token, branded, id: opened });
  let data;
  try {
    data = await gql(q.MY_QUOTES, {}, token);
  } catch (error) {
    if (error instanceof ApiError && error.fatal) {
      sessionStorage.removeItem(storageKey(organization.slug));
      signIn(root, { organization, branded });
      root.querySelector(".form-error").hidden = false;
      root.querySelector(".form-error").textContent = "Your session has ended. Sign in again.";
      return;
    }
    root.replaceChildren(h("p", { class: "notice", role: "alert" }, error.message));
    return;
  }
  const quotes = data.quotes.edges.map((edge) => edge.node);
  const signOut = h("button", { type: "button", class: "link", onclick: async () => {
    sessionStorage.removeItem(storageKey(organization.slug));
    await gql("mutation SignOut { signOut { signedOut } }", {}, token).catch(() => null);
    signIn(root, { organization, branded });
  } }, "Sign out");
  root.replaceChildren(
    h("h1", { tabindex: "-1" }, "Your quotes"),
    h("p", {}, `Signed in as ${data.viewer.customerEmail || ""}. `, signOut),
    quotes.length ? h("ul", { class: "quote-list" }, quotes.map((quote) => h("li", {},
      h("a", { href: `#quote=${encodeURIComponent(quote.id)}`, class: "quote-link" },
        h("strong", {}, `Quote ${quote.number}`),
        h("span", {}, `${titleCase(quote.status)}${quote.awaiting === "CUSTOMER" ? " · your turn" : ""}`),
        h("span", { class: "sub" }, `${quote.totals.lineCount} device line(s) · offer ${money(quote.totals.offered)} · ${when(quote.submittedAt || quote.createdAt)}`)))))
      : h("p", { class: "notice" }, "No quotes yet."));
  root.querySelector("h1").focus();
}

async function openQuote(root, { organization, token, branded, id }) {
  const back = h("p", {}, h("a", { href: "#", class: "back" }, "← All your quotes"));
  const holder = h("div");
  root.replaceChildren(back, holder);
  openView = await showQuote(holder, {
    token, branded,
    load: async () => (await gql(q.QUOTE, { id }, token)).quote,
  });
}
