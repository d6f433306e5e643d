// The customer's pages: which one this URL opens, and the shop's branding around it.

import { ApiError, gql } from "./api.js";
import { h } from "./dom.js";
import { showForm } from "./form.js";
import { showPortal } from "./portal.js";
import * as q from "./queries.js";
import { showQuote } from "./thread.js";
import { showTradeIn } from "./tradein.js";

const main = document.getElementById("main");
let brandedFor = null;

/** Put the organization's logo, headline, accent colour and footer around the page. */
function branded(organization) {
  const key = JSON.stringify(organization.branding) + organization.name;
  if (key === brandedFor) return;
  brandedFor = key;
  const branding = organization.branding;
  const header = document.getElementById("brand");
  header.replaceChildren(
    branding.logoUrl ? h("img", { src: branding.logoUrl, alt: organization.name, class: "logo" })
      : h("p", { class: "shop-name" }, organization.name),
    branding.headline ? h("p", { class: "headline" }, branding.headline) : null,
  );
  document.getElementById("footer").replaceChildren(
    branding.footerText ? h("p", {}, branding.footerText) : null,
    h("p", { class: "sub" }, organization.name));
  if (branding.accentColor && /^#[0-9a-f]{6}$/i.test(branding.accentColor)) {
    const style = document.documentElement.style;
    style.setProperty("--accent", branding.accentColor);
    style.setProperty("--on-accent", readableOn(branding.accentColor));
    style.setProperty("--accent-text", darkEnough(branding.accentColor));
  }
}

function luminance(hex) {
  const channel = (i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** Black or white, whichever reads better on the accent. */
function readableOn(hex) {
  const l = luminance(hex);
  return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? "#000000" : "#ffffff";
}

/** The accent as text on white, where it has the contrast for it; else a dark grey. */
function darkEnough(hex) {
  return 1.05 / (luminance(hex) + 0.05) >= 4.5 ? hex : "#1f2328";
}

function problem(title, text) {
  main.replaceChildren(h("h1", { tabindex: "-1" }, title), h("p", { class: "notice", role: "alert" }, text));
}

async function organizationOf(slug) {
  const organization = (await gql(q.ORGANIZATION, { slug })).organization;
  if (!organization) throw new ApiError("No shop has this address.");
  branded(organization);
  return organization;
}

async function quotePage(token) {
  const load = async () => (await gql(q.LINK_QUOTE, {}, token)).viewer.quote;
  let quote;
  try {
    quote = await load();
  } catch (error) {
    return problem("This link does not open the quote", error.message);
  }
  if (!quote) return problem("This link does not open the quote", "Ask the merchant to send it again.");
  branded(quote.organization);
  if (quote.availableActions.includes("SUBMIT")) {
    return showForm(main, { quote, token, done: () => showQuote(main, { token, load, branded }) });
  }
  let first = quote;
  return showQuote(main, { token, branded, load: async () => {
    if (first) { const ready = first; first = null; return ready; }
    return load();
  } });
}

async function start() {
  const [, kind, key] = location.pathname.split("/");
  const value = decodeURIComponent(key || "");
  try {
    if (kind === "q") return await quotePage(value);
    const organization = await organizationOf(value);
    if (kind === "t") {
      return showTradeIn(main, { organization, opened: (token) => { location.assign(`/q/${encodeURIComponent(token)}`); } });
    }
    if (kind === "portal") return await showPortal(main, { organization, branded });
    return problem("Page not found", "This address does not open anything.");
  } catch (error) {
    return problem("Something went wrong", error.message);
  }
}

start();
