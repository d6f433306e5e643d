// Starts GraphiQL on the page the server rendered at /graphql. The page carries its settings
// in <script id="graphiql-config" type="application/json">; no inline script runs (CSP).
(function () {
  "use strict";
  var h = React.createElement;
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var STORE = "tradequote:tokens";

  function loadTokens() {
    try {
      return JSON.parse(sessionStorage.getItem(STORE)) || {};
    } catch (error) {
      return {};
    }
  }

  // The tabs' headers name tokens by placeholder ("Bearer <staff token>"); the Tokens panel
  // fills them in when an operation is sent, so one paste serves every tab. A header whose
  // placeholder has no token yet is left out: the request goes anonymously (the schema still
  // loads, and what needs a token says UNAUTHENTICATED).
  function fillPlaceholders(headers) {
    if (!headers) return headers;
    var tokens = loadTokens();
    var filled = {};
    Object.keys(headers).forEach(function (name) {
      var value = headers[name];
      var unfilled = false;
      if (typeof value === "string") {
        config.placeholders.forEach(function (placeholder) {
          if (value.indexOf(placeholder.text) < 0) return;
          var token = tokens[placeholder.key];
          if (token) value = value.split(placeholder.text).join(token);
          else unfilled = true;
        });
      }
      if (!unfilled) filled[name] = value;
    });
    return filled;
  }

  var here = window.location;
  var base = GraphiQL.createFetcher({
    url: here.pathname,
    subscriptionUrl: (here.protocol === "https:" ? "wss://" : "ws://") + here.host + here.pathname,
  });
  function fetcher(params, options) {
    var opts = Object.assign({}, options || {});
    opts.headers = fillPlaceholders(opts.headers);
    return base(params, opts);
  }

  function TokensPanel() {
    var state = React.useState(loadTokens);
    var tokens = state[0];
    var setTokens = state[1];
    function change(key) {
      return function (event) {
        var next = Object.assign({}, tokens);
        next[key] = event.target.value.trim();
        sessionStorage.setItem(STORE, JSON.stringify(next));
        setTokens(next);
      };
    }
    return h(
      "form",
      {
        className: "tradequote-tokens",
        onSubmit: function (event) {
          event.preventDefault();
        },
      },
      h("div", { className: "graphiql-doc-explorer-title" }, "Tokens"),
      h("p", null, config.tokensHelp),
      config.placeholders.map(function (placeholder) {
        return h(
          "label",
          { key: placeholder.key },
          h("span", null, placeholder.label, " — replaces ", h("code", null, placeholder.text)),
          h("input", {
            type: "password",
            autoComplete: "off",
            spellCheck: false,
            name: placeholder.key,
            placeholder: placeholder.example,
            value: tokens[placeholder.key] || "",
            onChange: change(placeholder.key),
          })
        );
      })
    );
  }

  function KeyIcon() {
    return h(
      "svg",
      { viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", strokeWidth: 1.5 },
      h("circle", { cx: 8, cy: 15, r: 4 }),
      h("path", { d: "M11 12l8-8M16 7l3 3M14 9l2 2" })
    );
  }

  var tokensPlugin = { title: "Tokens", icon: KeyIcon, content: TokensPanel };

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    h(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: config.tabs,
      defaultHeaders: config.defaultHeaders,
      defaultEditorToolsVisibility: "headers",
      plugins: [tokensPlugin],
      visiblePlugin: tokensPlugin,
    })
  );
})();
