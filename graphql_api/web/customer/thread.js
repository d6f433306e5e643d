// A quote after submission: the offer table, the live conversation and the response panel that
// `availableActions` drives; after conversion the final state with its downloads.

import { ApiError, Live, gql } from "./api.js";
import { busy, clearErrors, field, h, money, showErrors, titleCase, when } from "./dom.js";
import * as q from "./queries.js";

const CLOSED = {
  EXPIRED: "This quote has expired. Ask the merchant to send you a new one.",
  CANCELED: "The merchant canceled this quote. Nothing more can be done on it.",
  REJECTED: "You turned this offer down. The merchant can send you a new one.",
};
const PAYMENT = {
  PENDING: "Payment pending: the shop pays once it has received and checked your devices.",
  UNDER_REVIEW: "Your payment is under review by the shop's finance team.",
  PAID: "Paid: the shop has sent your money.",
  DECLINED: "The payment was declined. The shop will contact you.",
};
const SAID = {
  SUBMISSION: "sent the list of devices", COUNTER_OFFER: "answered the offer",
  ACCEPTANCE: "accepted and signed", REJECTION: "turned the offer down",
  WITHDRAWAL: "withdrew the acceptance", ISSUE: "sent the quote", RECALL: "took the quote back",
  CONVERSION: "confirmed the purchase", CANCELLATION: "canceled the quote",
  EXPIRY: "", EXTENSION: "gave more time", SHARE: "shared the quote",
};

/** Show the quote that `load()` fetches (with its thread) in `root`, live over WebSocket. */
export async function showQuote(root, { token, load, branded = () => {} }) {
  const view = new QuoteView(root, token, load, branded);
  await view.start();
  return view;
}

class QuoteView {
  constructor(root, token, load, branded) {
    this.root = root;
    this.token = token;
    this.load = load;
    this.branded = branded;
    this.quote = null;
    this.messages = new Map();
    this.panelKey = null;
    this.consent = null;
  }

  async start() {
    let quote;
    try {
      quote = await this.load();
    } catch (error) {
      return this.fatal(error);
    }
    if (!quote) return this.fatal(new ApiError("This quote cannot be found."));
    this.layout();
    this.accept(quote, quote.thread.edges.map((edge) => edge.node));
    this.live = new Live(this.token, {
      onStatus: (status) => this.status(status),
      onRefused: () => this.resync(),
    });
    this.live.onResync(() => this.resync());
    this.live.subscribe(q.QUOTE_UPDATED, { id: quote.id }, (data) => this.accept(data.quoteUpdated));
    this.live.subscribe(q.THREAD_MESSAGES, { id: quote.id }, (data) =>
      this.accept(null, [data.threadMessages]));
    return this;
  }

  fatal(error) {
    if (this.live) this.live.stop();
    this.root.replaceChildren(
      h("h1", {}, error.fatal ? "This link does not open the quote" : "We could not open the quote"),
      h("p", { class: "notice", role: "alert" }, error.message),
    );
  }

  async resync() {
    try {
      const quote = await this.load();
      if (quote) this.accept(quote, quote.thread.edges.map((edge) => edge.node));
    } catch (error) {
      if (error instanceof ApiError && error.fatal) this.fatal(error);
    }
  }

  layout() {
    this.heading = h("h1", { tabindex: "-1" });
    this.state = h("p", { class: "state", role: "status" });
    this.connection = h("p", { class: "connection", "aria-live": "polite" });
    this.banner = h("div", { class: "banner-slot" });
    this.table = h("section", { class: "offer", "aria-labelledby": "offer-title" });
    this.panel = h("section", { class: "panel", "aria-labelledby": "panel-title" });
    this.conversation = h("ol", { class: "conversation" });
    this.root.replaceChildren(
      this.heading, this.state, this.connection, this.banner, this.table, this.panel,
      h("section", { class: "thread", "aria-labelledby": "thread-title" },
        h("h2", { id: "thread-title" }, "Conversation"), this.conversation),
    );
  }

  status(status) {
    this.root.dataset.live = status;
    this.connection.textContent = status === "offline"
      ? "Connection lost: reconnecting… The page catches up as soon as it is back." : "";
  }

  /** A newer quote and/or messages: redraw what they change, keep what the customer types. */
  accept(quote, messages = []) {
    if (quote && (!this.quote || quote.version >= this.quote.version)) {
      this.quote = { ...this.quote, ...quote };
      this.branded(this.quote.organization);
      this.drawSummary();
      const key = [quote.status, quote.version, quote.availableActions.join()].join("|");
      if (key !== this.panelKey) {
        this.panelKey = key;
        this.drawPanel();
      }
    }
    let added = false;
    for (const message of messages) {
      if (!this.messages.has(message.id)) added = true;
      this.messages.set(message.id, message);
    }
    if (added) this.drawConversation();
    if (quote === null && messages.some((m) => m.kind !== "MESSAGE")) this.resync();
  }

  drawSummary() {
    const quote = this.quote;
    document.title = `Quote ${quote.number} · ${quote.organization.name}`;
    this.heading.textContent = `Quote ${quote.number}`;
    this.root.dataset.status = quote.status;
    this.root.dataset.version = String(quote.version);
    const turn = quote.awaiting === "CUSTOMER" ? " · your turn to answer"
      : quote.awaiting === "MERCHANT" ? " · waiting for the shop" : "";
    this.state.textContent = `${titleCase(quote.status)}${turn}`;
    this.drawBanner();
    const currency = quote.currencyCode;
    const rows = quote.lines.map((line) => h("tr", { dataset: { line: line.id } },
      h("th", { scope: "row" }, deviceName(line),
        h("span", { class: "sub" }, `${titleCase(line.condition)} · ×${line.quantity}`)),
      h("td", { "data-label": "Your price" }, money(line.customerPrice || line.askingPrice, currency)),
      h("td", { "data-label": "Offer" }, money(line.agreedPrice || line.merchantOffer, currency)),
      h("td", { "data-label": "Status" }, lineStatus(line))));
    this.table.replaceChildren(
      h("h2", { id: "offer-title" }, "Your devices and the offer"),
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Device"), h("th", { scope: "col" }, "Your price"),
          h("th", { scope: "col" }, "Offer"), h("th", { scope: "col" }, "Status"))),
        h("tbody", {}, rows),
        h("tfoot", {}, h("tr", {},
          h("th", { scope: "row" }, `Total · ${quote.totals.unitCount} item(s)`),
          h("td", { "data-label": "Your price" }, money(quote.totals.asking, currency)),
          h("td", { "data-label": "Offer", class: "total-offer" },
            money(["ACCEPTED", "CONVERTED"].includes(quote.status)
              ? quote.totals.agreed : quote.totals.offered, currency)),
          h("td", {}, ""))))),
      quote.pdfUrl ? h("p", {}, h("a", { href: quote.pdfUrl, class: "download" },
        "Download the quote (PDF)")) : null,
    );
  }

  drawBanner() {
    const quote = this.quote;
    const parts = [];
    if (CLOSED[quote.status]) parts.push(h("p", { class: "notice" }, CLOSED[quote.status]));
    if (quote.status === "CONVERTED" && quote.buyOrder) {
      const order = quote.buyOrder;
      const label = order.shippingLabel;
      parts.push(h("div", { class: "final", role: "region", "aria-label": "Your sale" },
        h("h2", {}, "Sold: thank you!"),
        h("p", {}, `Order ${order.number} for ${money(order.total)} · `,
          `${titleCase(order.fulfillment)} · paid by ${titleCase(order.payoutMethod)}.`),
        h("p", { class: `payment payment-${order.paymentStatus.toLowerCase()}`, role: "status" },
          PAYMENT[order.paymentStatus] || titleCase(order.paymentStatus)),
        label && label.trackingNumber
          ? h("p", {}, `Shipping with ${label.carrier.toUpperCase()}, tracking ${label.trackingNumber}.`)
          : null,
        h("ul", { class: "downloads" },
          label && label.url ? h("li", {}, h("a", { href: label.url, class: "download" },
            "Print your shipping label")) : null,
          h("li", {}, h("a", { href: order.receiptUrl, class: "download", download: "" },
            "Download the receipt (PDF)")),
          quote.acceptance && quote.acceptance.certificateUrl
            ? h("li", {}, h("a", { href: quote.acceptance.certificateUrl, class: "download",
              download: "" }, "Download the signature certificate (PDF)")) : null)));
    } else if (quote.status === "ACCEPTED" && quote.acceptance) {
      parts.push(h("p", { class: "notice ok" },
        `You accepted and signed as ${quote.acceptance.signerName} on `,
        `${when(quote.acceptance.signedAt)}. The shop now confirms the purchase.`));
    }
    this.banner.replaceChildren(...parts);
  }

  drawConversation() {
    const messages = [...this.messages.values()]
      .filter((m) => m.kind !== "MESSAGE" || m.body || m.lineChanges.length)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    this.conversation.replaceChildren(...messages.map((message) => {
      const who = message.author === "CUSTOMER" ? "You"
        : message.author === "STAFF" ? (message.authorName || this.quote.organization.name)
          : this.quote.organization.name;
      const what = message.kind === "MESSAGE" ? "" : SAID[message.kind] || titleCase(message.kind);
      return h("li", { class: `message from-${message.author.toLowerCase()}` },
        h("p", { class: "meta" }, h("strong", {}, who), what ? ` ${what}` : "", " · ",
          h("time", { datetime: message.createdAt }, when(message.createdAt))),
        message.body ? h("p", { class: "body" }, message.body) : null,
        message.lineChanges.length ? h("ul", { class: "changes" }, message.lineChanges.map(
          (change) => h("li", {}, `${change.line.device.brand} ${change.line.device.model}: `,
            `${titleCase(change.action)}${change.price ? ` ${money(change.price)}` : ""}`))) : null);
    }));
  }

  drawPanel() {
    const quote = this.quote;
    const actions = new Set(quote.availableActions);
    const parts = [h("h2", { id: "panel-title" }, "Your answer")];
    const respond = actions.has("COUNTER_OFFER") || actions.has("ACCEPT_ALL_REMAINING");
    if (!respond && ["SUBMITTED", "NEGOTIATING"].includes(quote.status)) {
      parts.push(h("p", { class: "notice wait" },
        "The shop will respond. Their answer appears here as soon as they send it."));
    }
    if (actions.has("ACCEPT_ALL_REMAINING")) parts.push(this.acceptForm());
    if (actions.has("COUNTER_OFFER")) parts.push(this.counterForm());
    if (actions.has("REJECT_ALL_REMAINING")) parts.push(this.rejectForm());
    if (actions.has("WITHDRAW_ACCEPTANCE")) parts.push(this.withdrawForm());
    if (actions.has("SEND_MESSAGE")) parts.push(this.messageForm());
    if (parts.length === 1) parts[0].textContent = "Nothing to answer";
    this.panel.replaceChildren(...parts);
  }

  /** Run a mutation from `form`: userErrors beside their fields, anything else in `general`. */
  async run(form, button, document, input, key) {
    const general = form.querySelector(":scope > .form-error");
    clearErrors(form);
    await busy(button, async () => {
      try {
        const data = await gql(document, { input }, this.token);
        const payload = data[key];
        if (payload.userErrors.length) {
          showErrors(form, payload.userErrors, general);
          if (payload.userErrors.some((e) => e.code === "STALE_VERSION")) {
            general.append(" ", h("button", { type: "button", class: "link",
              onclick: () => this.resync().then(() => { this.panelKey = null; this.drawPanel(); }) },
            "Reload the offer"));
          }
          return;
        }
        if (payload.quote) this.accept(payload.quote);
        if (payload.message) this.accept(null, [payload.message]);
        form.reset();
        this.resync();
        this.heading.focus();
      } catch (error) {
        general.hidden = false;
        general.textContent = error.message;
        if (error instanceof ApiError && error.fatal) this.fatal(error);
      }
    });
  }

  acceptForm() {
    const quote = this.quote;
    const name = h("input", { type: "text", name: "signerName", autocomplete: "name", required: true });
    const email = h("input", { type: "email", name: "signerEmail", autocomplete: "email",
      required: true, value: quote.contact ? quote.contact.email : "" });
    const consent = h("input", { type: "checkbox", name: "consent", id: "consent-box" });
    const consentText = h("div", { class: "consent-text", id: "consent-text", tabindex: "0",
      role: "region", "aria-label": "Terms you agree to" }, "Loading the terms…");
    const button = h("button", { type: "submit", class: "primary" }, "Accept and sign");
    const form = h("form", { class: "accept", "aria-labelledby": "accept-title", novalidate: true },
      h("h3", { id: "accept-title" }, `Accept ${money(quote.totals.offered)} for everything left`),
      h("p", { class: "form-error", role: "alert", hidden: true }),
      consentText,
      field("Type your full name to sign", name, "input.signature.name"),
      field("Your email, for the signed copy", email, "input.signature.email"),
      h("div", { class: "field check", dataset: { field: "input.signature.consent" } },
        consent, h("label", { for: "consent-box" }, "I have read the terms above and agree to them."),
        h("p", { class: "error", id: "consent-box-error", hidden: true })),
      button);
    this.loadConsent(consentText);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const signature = { name: name.value, email: email.value, consent: consent.checked };
      if (this.consent) signature.consentVersion = this.consent.version;
      this.run(form, button, q.ACCEPT,
        { quoteId: quote.id, signature, expectedVersion: quote.version }, "acceptAllRemaining");
    });
    return form;
  }

  async loadConsent(holder) {
    try {
      this.consent = this.consent || (await gql(q.CONSENT)).consentText;
      holder.replaceChildren(...this.consent.text.split(/\n\s*\n/).map((p) => h("p", {}, p)));
    } catch (error) {
      holder.textContent = error.message;
    }
  }

  counterForm() {
    const quote = this.quote;
    const mine = quote.lines.filter((line) => line.status === "PENDING" && line.awaiting === "CUSTOMER");
    const button = h("button", { type: "submit" }, "Send my answers");
    const choices = mine.map((line, index) => {
      const group = `line-${line.id}`;
      const price = h("input", { type: "text", inputmode: "decimal", name: `${group}-price`,
        autocomplete: "off", disabled: true });
      const priceField = field(`Your price (${quote.currencyCode})`, price, `input.lines.${index}.price`);
      priceField.hidden = true;
      const option = (action, label, checked = false) => {
        const radio = h("input", { type: "radio", name: group, value: action, checked });
        radio.addEventListener("change", () => {
          priceField.hidden = action !== "COUNTER";
          price.disabled = action !== "COUNTER";
          if (action === "COUNTER") price.focus();
        });
        return h("label", { class: "choice" }, radio, label);
      };
      return {
        line, price,
        element: h("fieldset", { class: "line-answer", dataset: { field: `input.lines.${index}`, line: line.id } },
          h("legend", {}, `${deviceName(line)}: offer ${money(line.merchantOffer)}`),
          option("ACCEPT", "Accept", true), option("DECLINE", "Decline"),
          option("COUNTER", "Counter with my price"), priceField,
          h("p", { class: "error", id: uid2(line.id), hidden: true })),
      };
    });
    const form = h("form", { class: "counter", "aria-labelledby": "counter-title", novalidate: true },
      h("h3", { id: "counter-title" }, "Or answer line by line"),
      h("p", { class: "form-error", role: "alert", hidden: true }),
      choices.map((choice) => choice.element), button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const lines = choices.map(({ line, price, element }) => {
        const action = element.querySelector("input[type=radio]:checked").value;
        return { lineId: line.id, action, ...(action === "COUNTER" ? { price: price.value.trim() || null } : {}) };
      });
      this.run(form, button, q.COUNTER,
        { quoteId: quote.id, lines, expectedVersion: quote.version }, "counterOffer");
    });
    return form;
  }

  rejectForm() {
    const quote = this.quote;
    const button = h("button", { type: "submit", class: "danger" }, "Yes, reject everything left");
    const form = h("form", { class: "reject", novalidate: true },
      h("p", { class: "form-error", role: "alert", hidden: true }), button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run(form, button, q.REJECT, { quoteId: quote.id, expectedVersion: quote.version },
        "rejectAllRemaining");
    });
    return h("details", { class: "reject-all" }, h("summary", {}, "Reject all remaining"), form);
  }

  withdrawForm() {
    const quote = this.quote;
    const button = h("button", { type: "submit" }, "Withdraw my acceptance");
    const form = h("form", { class: "withdraw", novalidate: true },
      h("p", {}, "Changed your mind? Until the shop confirms the purchase you can take your acceptance back."),
      h("p", { class: "form-error", role: "alert", hidden: true }), button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run(form, button, q.WITHDRAW, { quoteId: quote.id }, "withdrawAcceptance");
    });
    return form;
  }

  messageForm() {
    const quote = this.quote;
    const body = h("textarea", { name: "body", rows: "3" });
    const button = h("button", { type: "submit" }, "Send the message");
    const form = h("form", { class: "message-form", novalidate: true },
      h("p", { class: "form-error", role: "alert", hidden: true }),
      field("A message to the shop", body, "input.body"), button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run(form, button, q.SEND_MESSAGE, { quoteId: quote.id, body: body.value }, "sendMessage");
    });
    return form;
  }
}

function uid2(id) {
  return `line-error-${id}`.replace(/[^\w-]/g, "");
}

export function deviceName(line) {
  const device = line.device;
  return [device.brand, device.model, device.storage, device.color].filter(Boolean).join(" ");
}

function lineStatus(line) {
  if (line.status === "ACCEPTED") return "Agreed";
  if (line.status === "DECLINED") return "Declined";
  return line.awaiting === "CUSTOMER" ? "Your turn" : "With the shop";
}
