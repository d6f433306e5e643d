// One device as the customer describes it: from the catalog or by hand, its condition with the
// shop's questionnaire, IMEIs typed or scanned, and (on the trade-in page) the instant offer.

import { gql } from "./api.js";
import { clearErrors, field, h, money, showErrors, uid } from "./dom.js";
import * as q from "./queries.js";

const TYPES = ["PHONE", "TABLET", "LAPTOP", "SMARTWATCH", "HEADPHONES", "CONSOLE", "CAMERA", "OTHER"];
const CONDITIONS = [
  ["NEW", "New, sealed"], ["LIKE_NEW", "Like new"], ["GOOD", "Good: light signs of use"],
  ["FAIR", "Fair: visible wear"], ["POOR", "Poor: heavy wear"], ["BROKEN", "Broken or not working"],
];
const LOCKS = [["UNLOCKED", "Unlocked"], ["LOCKED", "Locked to a carrier"], ["UNKNOWN", "I don't know"]];
const label = (value) => value.charAt(0) + value.slice(1).toLowerCase().replace(/_/g, " ");

function select(name, options, value = null) {
  return h("select", { name },
    options.map(([key, text]) => h("option", { value: key, selected: key === value }, text)));
}

/** The digits of every IMEI or serial typed in `text` (one per line, or comma separated). */
export function splitList(text) {
  return text.split(/[\n,;]+/).map((part) => part.trim()).filter(Boolean);
}

export class DeviceEditor {
  /** `organization`: slug, currency, questions; `lookup(imei)` returns a LookupImeis payload
   * (or null where there is no look-up); `single`: the trade-in page's one device. */
  constructor({ organization, lookup = null, instant = false, single = false }) {
    this.organization = organization;
    this.lookupImei = lookup;
    this.instant = instant && organization.showsInstantOffers;
    this.single = single;
    this.offer = null;
    this.element = this.build();
  }

  build() {
    const org = this.organization;
    this.search = h("input", { type: "search", name: "catalogSearch", autocomplete: "off",
      placeholder: "e.g. iPhone 14" });
    this.results = h("ul", { class: "results", "aria-live": "polite" });
    this.search.addEventListener("input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.find(), 250);
    });
    this.type = select("type", TYPES.map((t) => [t, label(t)]), "PHONE");
    this.brand = h("input", { type: "text", name: "brand", autocomplete: "off" });
    this.model = h("input", { type: "text", name: "model", autocomplete: "off" });
    this.storage = h("select", { name: "storage" }, h("option", { value: "" }, "Not listed / not applicable"));
    this.color = h("input", { type: "text", name: "color", autocomplete: "off" });
    this.condition = select("condition", CONDITIONS, "GOOD");
    this.questions = org.conditionQuestions.map((question) => ({
      key: question.key,
      control: select(`q-${question.key}`, [["", "Choose an answer"], ...question.options.map((o) => [o, o])]),
      label: question.label,
    }));
    this.lock = select("carrierLock", LOCKS, "UNLOCKED");
    this.quantity = h("input", { type: "number", name: "quantity", min: "1", max: "1000",
      value: "1", inputmode: "numeric" });
    this.price = h("input", { type: "text", name: "askingPrice", inputmode: "decimal",
      autocomplete: "off" });
    this.imeis = h(this.single ? "input" : "textarea",
      { name: "imeis", autocomplete: "off", inputmode: this.single ? "numeric" : null,
        rows: this.single ? null : "2" });
    this.offerBox = h("div", { class: "instant", "aria-live": "polite" });

    const parts = [
      this.lookupImei ? this.lookupBlock() : null,
      h("div", { class: "catalog" },
        field("Find your model", this.search, null, "Type a few letters of the make or model."),
        this.results),
      field("Type of device", this.type, "device.type"),
      field("Make", this.brand, "device.brand"),
      field("Model", this.model, "device.model"),
      field("Storage", this.storage, "device.storage"),
      this.single ? null : field("Colour (optional)", this.color, "device.color"),
      field("Condition", this.condition, "device.condition"),
      this.questions.map((question) => field(question.label, question.control, `device.answers.${question.key}`)),
      field("Carrier lock", this.lock, "device.carrierLock"),
      this.single ? null : field("How many", this.quantity, "device.quantity"),
      this.instant ? this.offerBox : null,
      field(`Your asking price per device (${org.currencyCode})`, this.price, "device.askingPrice"),
      field(this.single ? "IMEI (optional)" : "IMEIs or serial numbers (optional, one per line)",
        this.imeis, "device.imeis", "Dial *#06# on a phone to see its IMEI."),
      this.scanButton(),
    ];
    if (this.instant) {
      for (const control of [this.brand, this.model, this.storage, this.condition, this.lock,
        ...this.questions.map((question) => question.control)]) {
        control.addEventListener("change", () => this.quoteLater());
      }
    }
    return h("div", { class: "device-editor" }, parts);
  }

  lookupBlock() {
    this.lookupInput = h("input", { type: "text", name: "lookupImei", inputmode: "numeric",
      autocomplete: "off" });
    this.lookupButton = h("button", { type: "button", onclick: () => this.lookup() }, "Look up");
    this.lookupStatus = h("p", { class: "hint", "aria-live": "polite" });
    return h("div", { class: "lookup" },
      h("h3", {}, "Quick: look it up by IMEI"),
      h("div", { class: "inline" },
        field("IMEI", this.lookupInput, "lookup.imeis", "Dial *#06# on the phone to see it."),
        this.lookupButton),
      this.lookupStatus,
      h("p", { class: "or" }, "Or describe it yourself:"));
  }

  async lookup() {
    const imei = this.lookupInput.value.trim();
    clearErrors(this.element);
    const general = this.lookupStatus;
    general.textContent = "";
    if (!imei) {
      showErrors(this.element, [{ code: "INVALID_INPUT", message: "Type the IMEI first", field: ["lookup", "imeis"] }], general);
      return;
    }
    this.lookupButton.disabled = true;
    try {
      const payload = await this.lookupImei(imei);
      if (payload.userErrors.length) {
        showErrors(this.element, payload.userErrors.map((e) => ({ ...e, field: ["lookup", "imeis"] })), general);
        return;
      }
      const [result] = payload.results;
      if (!result.valid) {
        showErrors(this.element, [{ code: "IMEI_INVALID", message: "This is not a valid IMEI: check the 15 digits", field: ["lookup", "imeis"] }], general);
        return;
      }
      const left = payload.remainingLookups === null ? "" : ` (${payload.remainingLookups} look-up(s) left)`;
      if (result.device) {
        const known = await this.catalogModel(result.device);
        this.fill({ ...result.device, ...(known ? { storages: known.storages } : {}), imeis: [result.imei] });
        general.textContent = `Found: ${result.device.brand} ${result.device.model}. Check the details below${left}.`;
      } else {
        this.imeis.value = result.imei;
        general.textContent = `We don't know this model: describe it below${left}.`;
      }
    } catch (error) {
      general.textContent = error.message;
    } finally {
      this.lookupButton.disabled = false;
    }
  }

  scanButton() {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return null;
    const video = h("video", { class: "scanner", muted: true, playsinline: true, hidden: true,
      "aria-label": "Camera view for scanning the IMEI barcode" });
    const status = h("p", { class: "hint", "aria-live": "polite" });
    const button = h("button", { type: "button", class: "secondary" }, "Scan the IMEI barcode");
    button.addEventListener("click", () => this.scan(video, status, button));
    return h("div", { class: "scan" }, button, video, status);
  }

  async scan(video, status, button) {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch {
      status.textContent = "The camera is not available: type the IMEI instead.";
      return;
    }
    const detector = new window.BarcodeDetector({ formats: ["code_128", "ean_13", "qr_code"] });
    video.srcObject = stream;
    video.hidden = false;
    button.disabled = true;
    status.textContent = "Point the camera at the barcode on the box or the SIM tray.";
    await video.play();
    const stopAt = Date.now() + 30000;
    const done = (text) => {
      stream.getTracks().forEach((track) => track.stop());
      video.hidden = true;
      button.disabled = false;
      status.textContent = text;
    };
    const tick = async () => {
      const codes = await detector.detect(video).catch(() => []);
      const found = codes.map((c) => c.rawValue.replace(/\D/g, "")).find((d) => d.length === 15);
      if (found) {
        if (this.single) this.imeis.value = found;
        else this.imeis.value = [...splitList(this.imeis.value), found].join("\n");
        if (this.lookupInput) this.lookupInput.value = found;
        done(`Scanned ${found}.`);
      } else if (Date.now() > stopAt) {
        done("No barcode found: type the IMEI instead.");
      } else {
        requestAnimationFrame(tick);
      }
    };
    tick();
  }

  /** The catalog's entry for a device an IMEI named (its storages and colours), if any. */
  async catalogModel(device) {
    const data = await gql(q.CATALOG, { slug: this.organization.slug, search: device.model });
    return data.deviceCatalog.edges.map((edge) => edge.node)
      .find((node) => node.brand === device.brand && node.model === device.model) || null;
  }

  async find() {
    const search = this.search.value.trim();
    if (search.length < 2) {
      this.results.replaceChildren();
      return;
    }
    try {
      const data = await gql(q.CATALOG, { slug: this.organization.slug, search });
      const models = data.deviceCatalog.edges.map((edge) => edge.node);
      this.results.replaceChildren(...(models.length ? models.map((model) => h("li", {},
        h("button", { type: "button", class: "result",
          onclick: () => { this.fill(model); this.results.replaceChildren(); this.storage.focus(); } },
        `${model.brand} ${model.model}`))) : [h("li", { class: "hint" }, "No match: type the make and model below.")]));
    } catch (error) {
      this.results.replaceChildren(h("li", { class: "hint" }, error.message));
    }
  }

  /** Fill from a catalog model or an IMEI look-up. */
  fill(device) {
    if (device.type) this.type.value = device.type;
    this.brand.value = device.brand || "";
    this.model.value = device.model || "";
    const storages = device.storages || (device.storage ? [device.storage] : []);
    this.storage.replaceChildren(
      h("option", { value: "" }, storages.length ? "Choose the storage" : "Not listed / not applicable"),
      ...storages.map((s) => h("option", { value: s, selected: storages.length === 1 }, s)));
    if (device.color) this.color.value = device.color;
    if (device.imeis) this.imeis.value = device.imeis.join("\n");
    this.quoteLater();
  }

  quoteLater() {
    if (!this.instant) return;
    clearTimeout(this.quoteTimer);
    this.quoteTimer = setTimeout(() => this.instantQuote(), 200);
  }

  async instantQuote() {
    const device = this.value();
    if (!device.brand || !device.model) return;
    const input = {
      organizationSlug: this.organization.slug, brand: device.brand, model: device.model,
      condition: device.condition, storage: device.storage, carrierLock: device.carrierLock,
      conditionAnswers: device.conditionAnswers,
    };
    try {
      const payload = (await gql(q.INSTANT_QUOTE, { input })).instantQuote;
      if (payload.quote) {
        this.offer = payload.quote.offer;
        if (!this.price.value || this.price.dataset.fromOffer) {
          this.price.value = this.offer.amount;
          this.price.dataset.fromOffer = "1";
        }
        this.offerBox.replaceChildren(h("p", { class: "offer-now" }, "Our instant offer: ",
          h("strong", {}, money(this.offer)),
          payload.quote.deductions.length ? h("span", { class: "sub" },
            ` (from ${money(payload.quote.basePrice)}, less ${payload.quote.deductions.map((d) => d.answer).join(", ")})`) : ""));
      } else {
        this.offer = null;
        this.offerBox.replaceChildren(h("p", { class: "hint" },
          "No instant offer for this device: name your price and the shop answers quickly."));
      }
    } catch (error) {
      this.offerBox.replaceChildren(h("p", { class: "hint" }, error.message));
    }
  }

  /** The DeviceInput as typed (the server checks it). */
  value() {
    const answers = this.questions
      .filter((question) => question.control.value)
      .map((question) => ({ question: question.key, answer: question.control.value }));
    const units = splitList(this.imeis.value);
    const digits = units.filter((unit) => /^[\d\s-]{14,}$/.test(unit));
    const serials = units.filter((unit) => !digits.includes(unit));
    return {
      type: this.type.value, brand: this.brand.value.trim(), model: this.model.value.trim(),
      storage: this.storage.value || null, color: this.single ? null : this.color.value.trim() || null,
      condition: this.condition.value, conditionAnswers: answers.length ? answers : null,
      carrierLock: this.lock.value, quantity: Number.parseInt(this.quantity.value, 10) || 0,
      askingPrice: this.price.value.trim().replace(",", "."),
      imeis: digits.length ? digits : null, serials: serials.length ? serials : null,
    };
  }

  /** Errors the page can tell before sending: the same words, next to the same fields. */
  check(general) {
    const device = this.value();
    const errors = [];
    if (!device.brand) errors.push({ code: "INVALID_INPUT", message: "Type the make", field: ["device", "brand"] });
    if (!device.model) errors.push({ code: "INVALID_INPUT", message: "Type the model", field: ["device", "model"] });
    if (!(device.quantity >= 1)) errors.push({ code: "INVALID_INPUT", message: "At least one", field: ["device", "quantity"] });
    if (!(Number(device.askingPrice) > 0)) errors.push({ code: "INVALID_INPUT", message: "Type a price above zero, e.g. 250", field: ["device", "askingPrice"] });
    showErrors(this.element, errors, general);
    return errors.length === 0;
  }

  reset() {
    for (const control of [this.search, this.brand, this.model, this.color, this.price, this.imeis]) control.value = "";
    if (this.lookupInput) this.lookupInput.value = "";
    this.quantity.value = "1";
    this.fill({ storages: [] });
    for (const question of this.questions) question.control.value = "";
    clearErrors(this.element);
  }
}

export const describe = (device) =>
  [device.brand, device.model, device.storage, device.color].filter(Boolean).join(" ");
export { uid };
