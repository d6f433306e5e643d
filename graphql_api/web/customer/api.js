// The public GraphQL API: queries and mutations over HTTP, live updates over graphql-transport-ws.

const PLAIN = {
  RATE_LIMITED: "Too many tries in a short time. Wait a minute, then try again.",
  LINK_REVOKED:
    "This link no longer works: the merchant replaced or withdrew it. Ask them for a new one.",
  LINK_EXPIRED: "This link has expired. Ask the merchant to send it again.",
  INVALID_TOKEN: "This link is not valid. Ask the merchant to send it again.",
  TOKEN_EXPIRED: "Your session has ended. Sign in again.",
  TOKEN_REVOKED: "Your session has ended. Sign in again.",
  NETWORK: "We could not reach the shop's server. Check your connection, then try again.",
};

/** A request the server refused as a whole; `message` is for the customer. */
export class ApiError extends Error {
  constructor(message, code, reason) {
    super(message);
    this.code = code || null;
    this.reason = reason || null;
  }

  /** The link or session no longer opens anything: the page cannot go on. */
  get fatal() {
    return this.code === "UNAUTHENTICATED" || this.code === "FORBIDDEN";
  }
}

export function plainError(code, reason, fallback) {
  return PLAIN[reason] || PLAIN[code] || fallback || "Something went wrong. Try again.";
}

/** Run a GraphQL operation; its `data`, or an ApiError. */
export async function gql(query, variables = {}, token = null) {
  const headers = { "content-type": "application/json", accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST", headers, body: JSON.stringify({ query, variables }),
      credentials: "omit", cache: "no-store",
    });
  } catch {
    throw new ApiError(PLAIN.NETWORK, "NETWORK");
  }
  if (response.status === 429) throw new ApiError(PLAIN.RATE_LIMITED, "RATE_LIMITED");
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(PLAIN.NETWORK, "NETWORK");
  }
  if (body.errors && body.errors.length) {
    const extensions = body.errors[0].extensions || {};
    const message = plainError(extensions.code, extensions.reason, body.errors[0].message);
    throw new ApiError(message, extensions.code, extensions.reason);
  }
  return body.data;
}

/** One graphql-transport-ws connection, its subscriptions restarted after a drop; `onResync`
 * callbacks run after every (re)connection so the page catches up on what it missed. */
export class Live {
  constructor(token, { onStatus = () => {}, onRefused = () => {} } = {}) {
    this.token = token;
    this.onStatus = onStatus;
    this.onRefused = onRefused;
    this.subscriptions = new Map();
    this.resyncs = [];
    this.next = 1;
    this.socket = null;
    this.ready = false;
    this.attempt = 0;
    this.stopped = false;
    this.timer = null;
  }

  subscribe(query, variables, onData) {
    const id = String(this.next++);
    this.subscriptions.set(id, { query, variables, onData });
    if (this.ready) this.start(id);
    else this.connect();
    return () => {
      this.subscriptions.delete(id);
      if (this.ready) this.send({ id, type: "complete" });
    };
  }

  onResync(callback) {
    this.resyncs.push(callback);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  start(id) {
    const { query, variables } = this.subscriptions.get(id);
    this.send({ id, type: "subscribe", payload: { query, variables } });
  }

  connect() {
    if (this.socket || this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/graphql`, "graphql-transport-ws");
    this.socket = socket;
    socket.addEventListener("open", () => {
      const payload = this.token ? { Authorization: `Bearer ${this.token}` } : {};
      socket.send(JSON.stringify({ type: "connection_init", payload }));
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "connection_ack") {
        this.ready = true;
        this.attempt = 0;
        this.onStatus("live");
        for (const id of this.subscriptions.keys()) this.start(id);
        for (const callback of this.resyncs) callback();
      } else if (message.type === "next") {
        const subscription = this.subscriptions.get(message.id);
        if (subscription && message.payload && message.payload.data) {
          subscription.onData(message.payload.data);
        }
      } else if (message.type === "ping") {
        this.send({ type: "pong" });
      }
    });
    socket.addEventListener("close", (event) => {
      this.socket = null;
      this.ready = false;
      if (this.stopped) return;
      if (event.code === 4401 || event.code === 4403) {
        this.onStatus("closed");
        this.onRefused(event.reason);
        return;
      }
      this.onStatus("offline");
      const delay = Math.min(15000, 400 * 2 ** this.attempt);
      this.attempt += 1;
      this.timer = setTimeout(() => this.connect(), delay);
    });
  }
}
