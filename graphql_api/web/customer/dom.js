// Building the page: elements, money, dates, and userErrors placed next to their fields.

/** An element: h("p", {class: "x", onclick: fn}, "text", child, [more]). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

let counter = 0;
/** A fresh id for label/aria pairs. */
export function uid(prefix = "f") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled control with room for its error: field("Name", input, "input.contact.name"). */
export function field(label, control, path, hint = null) {
  const id = control.id || uid();
  control.id = id;
  const error = h("p", { class: "error", id: `${id}-error`, hidden: true });
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field", dataset: path ? { field: path } : {} },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    control,
    error,
  );
}

export function money(value, currency) {
  if (!value) return "—";
  const amount = Number(value.amount);
  const code = value.currencyCode || currency;
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: code }).format(amount);
  } catch {
    return `${value.amount} ${code}`;
  }
}

export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export const titleCase = (text) =>
  String(text || "").toLowerCase().replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

/** Clear the errors shown in `root`. */
export function clearErrors(root) {
  for (const error of root.querySelectorAll(".error")) {
    error.textContent = "";
    error.hidden = true;
  }
  for (const control of root.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const described = (control.getAttribute("aria-describedby") || "")
      .split(" ").filter((id) => !id.endsWith("-error")).join(" ");
    if (described) control.setAttribute("aria-describedby", described);
    else control.removeAttribute("aria-describedby");
  }
}

/** Show each userError next to the field its path names (or the closest enclosing one, else in
 * `general`), then move the focus to the first. */
export function showErrors(root, userErrors, general) {
  clearErrors(root);
  let first = null;
  for (const error of userErrors) {
    const message = plainUserError(error);
    let path = (error.field || []).join(".");
    let holder = null;
    while (path && !holder) {
      holder = [...root.querySelectorAll(`[data-field="${CSS.escape(path)}"]`)]
        .find((element) => !element.closest("[hidden]")) || null;
      if (!holder) path = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    }
    const slot = holder ? holder.querySelector(":scope > .error") : general;
    const target = slot || general;
    target.hidden = false;
    target.textContent = target.textContent ? `${target.textContent} ${message}` : message;
    const control = holder ? holder.querySelector(":scope > input, :scope > select, :scope > textarea") : null;
    if (control && slot) {
      control.setAttribute("aria-invalid", "true");
      const described = control.getAttribute("aria-describedby");
      control.setAttribute("aria-describedby", described ? `${described} ${slot.id}` : slot.id);
    }
    first = first || control || target;
  }
  if (first) {
    if (!first.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(first.tagName)) {
      first.setAttribute("tabindex", "-1");
    }
    first.focus();
  }
}

const PLAIN = {
  STALE_VERSION: "Someone else answered first: reload the offer to see what changed.",
  EXPIRED: "This quote has expired. Ask the merchant to send you a new one.",
  CONSENT_REQUIRED: "Tick the box to agree before you sign.",
  LIMIT_EXCEEDED: null,
};

/** What a userError says, in the customer's words where the server's are technical. */
export function plainUserError(error) {
  const plain = PLAIN[error.code];
  const text = plain || error.message || "This is not right.";
  return text.charAt(0).toUpperCase() + text.slice(1).replace(/([^.!?])$/, "$1.");
}

/** Turn a button into its busy state while `work` runs. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
