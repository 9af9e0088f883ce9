/*
 * Switchboard web chat widget. Self-contained (no build step, no dependencies).
 *
 * Embed:
 *   <script src="https://support.example.com/widget.js"></script>
 *   <script>SwitchboardWidget.init({ title: "Acme support" });</script>
 * or set window.SwitchboardWidgetConfig = {...} before the script tag to start it at load.
 *
 * Config: serverUrl (default: where widget.js came from), userId + userHash (HMAC-SHA256
 * hex of userId, signed by your backend), name, title, accentColor, greeting, maxLength,
 * pollIntervalMs (history polling while the WebSocket is down or a turn the server
 * answered 202 for is still running; default 4000), language.
 *
 * Language: the widget words its own texts in `config.language`, else the script tag's
 * `data-language`, else the page's `<html lang>`, else the browser's language (any of the
 * shipped ones; else the server's default). That locale goes with each message as a hint
 * for the bot's first answer. `greeting` may be one text or {en: ..., es: ...}.
 *
 * Security: message text is only ever put in the page as text nodes; links are built as
 * <a> elements whose href must parse as http(s)/mailto. Styles live in a shadow root so
 * the host page and the widget cannot restyle each other.
 */
(function () {
  "use strict";
  if (window.SwitchboardWidget) return;

  var SCRIPT_SRC = document.currentScript && document.currentScript.src;
  var SCRIPT_LANGUAGE = document.currentScript && document.currentScript.getAttribute("data-language");
  /* The widget's own words per language, by their English source: filled in by the server
     from the bot's catalogues (graph/locales) when it serves this file. */
  var I18N = /*SWITCHBOARD_WIDGET_STRINGS*/{};
  var LOCALE = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,4}$/;
  var HEARTBEAT_GRACE = 2.5;
  var POLL_MS = 4000;
  var MAX_BACKOFF_MS = 30000;
  /* Longer than the server ever waits for a turn (120 s) before answering 202. */
  var SEND_TIMEOUT_MS = 150000;
  var LINK = /(https?:\/\/[^\s<>"'`]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)/gi;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* Text → text nodes and <a> nodes. Never parses HTML. */
  function richText(parent, text) {
    var last = 0;
    String(text).replace(LINK, function (match, _g, offset) {
      var url = match.replace(/[.,;:!?)\]]+$/, "");
      var href = url.indexOf("@") > 0 && url.indexOf("://") < 0 ? "mailto:" + url : url;
      var safe = false;
      try { safe = ["http:", "https:", "mailto:"].indexOf(new URL(href).protocol) >= 0; } catch (e) { safe = false; }
      if (!safe) return match;
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var a = el("a", { target: "_blank", rel: "noopener noreferrer nofollow" }, url);
      a.href = href;
      parent.appendChild(a);
      last = offset + url.length;
      return match;
    });
    parent.appendChild(document.createTextNode(String(text).slice(last)));
  }

  function store(kind) {
    try { var s = window[kind]; var k = "__sb_probe"; s.setItem(k, k); s.removeItem(k); return s; }
    catch (e) { var mem = {}; return { getItem: function (k) { return k in mem ? mem[k] : null; },
      setItem: function (k, v) { mem[k] = String(v); }, removeItem: function (k) { delete mem[k]; } }; }
  }

  function css(accent) {
    return [
      ":host{all:initial}",
      "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}",
      ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;border:0;background:" + accent + ";color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}",
      ".launcher:focus-visible,button:focus-visible,a:focus-visible,.log:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}",
      "textarea:focus{outline:2px solid " + accent + ";outline-offset:-1px;border-color:transparent}",
      ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;background:#d92d20;color:#fff;font-size:12px;line-height:20px;text-align:center;padding:0 5px}",
      ".badge[hidden]{display:none}",
      ".panel{position:fixed;right:20px;bottom:88px;z-index:2147483001;width:380px;height:min(600px,calc(100vh - 108px));background:#fff;color:#1f2328;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;font-size:15px;line-height:1.4}",
      ".panel[hidden]{display:none}",
      "header{background:" + accent + ";color:#fff;padding:12px 12px 12px 16px;display:flex;align-items:center;gap:8px}",
      "header .titles{flex:1;min-width:0}",
      "h2{margin:0;font-size:16px;font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
      ".status{font-size:12px;opacity:.9}",
      ".close{background:transparent;border:0;color:#fff;font-size:24px;line-height:1;width:36px;height:36px;border-radius:8px;cursor:pointer}",
      ".close:hover{background:rgba(255,255,255,.15)}",
      ".log{flex:1;overflow-y:auto;margin:0;padding:12px;list-style:none;background:#f6f7f9;display:flex;flex-direction:column;gap:8px}",
      ".msg{max-width:85%;display:flex;flex-direction:column;gap:2px}",
      ".who{font-size:11px;color:#57606a;padding:0 4px}",
      ".bubble{padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}",
      ".bubble a{color:inherit;text-decoration:underline}",
      ".msg-customer{align-self:flex-end;align-items:flex-end}",
      ".msg-customer .bubble{background:" + accent + ";color:#fff;border-bottom-right-radius:4px}",
      ".msg-bot{align-self:flex-start}",
      ".msg-bot .bubble{background:#fff;border:1px solid #e1e4e8;border-bottom-left-radius:4px}",
      ".msg-staff{align-self:flex-start}",
      ".msg-staff .who{color:#8a4b00;font-weight:600}",
      ".msg-staff .bubble{background:#fff4e0;border:1px solid #f0c36d;border-left:4px solid #e08e0b;border-bottom-left-radius:4px}",
      ".msg.sending .bubble{opacity:.6}",
      ".msg.failed .bubble{opacity:.75;border:2px dashed #d92d20}",
      ".msg .state{font-size:11px;color:#d92d20;padding:0 4px}",
      ".msg .state.working{color:#57606a}",
      ".notice{align-self:center;max-width:95%;text-align:center;font-size:12px;color:#57606a;background:#eaeef2;border-radius:10px;padding:4px 10px}",
      ".quick{display:flex;flex-wrap:wrap;gap:6px;margin-top:4px}",
      ".quick button{border:1px solid " + accent + ";color:" + accent + ";background:#fff;border-radius:16px;padding:6px 12px;font-size:14px;cursor:pointer;min-height:32px}",
      ".quick button:hover{background:#f0f3ff}",
      ".typing{padding:0 16px 6px;background:#f6f7f9;font-size:12px;color:#57606a;display:flex;align-items:center;gap:6px}",
      ".typing[hidden]{display:none}",
      ".dots span{display:inline-block;width:6px;height:6px;margin-right:3px;border-radius:50%;background:#8c959f;animation:sb-blink 1.2s infinite both}",
      ".dots span:nth-child(2){animation-delay:.2s}.dots span:nth-child(3){animation-delay:.4s}",
      "@keyframes sb-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}",
      ".error{display:flex;align-items:center;gap:8px;padding:8px 12px;background:#fdecea;color:#8c1d18;font-size:13px;border-top:1px solid #f5c2c0}",
      ".error[hidden]{display:none}",
      ".error span{flex:1}",
      ".error button{border:1px solid #8c1d18;background:#fff;color:#8c1d18;border-radius:6px;padding:4px 10px;cursor:pointer;font-size:13px}",
      "form{border-top:1px solid #e1e4e8;padding:8px;display:flex;gap:8px;align-items:flex-end;background:#fff}",
      ".field{flex:1;display:flex;flex-direction:column;gap:2px;min-width:0}",
      "textarea{width:100%;resize:none;border:1px solid #d0d7de;border-radius:10px;padding:8px 10px;font-size:16px;line-height:1.35;max-height:120px;min-height:40px;color:#1f2328;background:#fff}",
      ".count{font-size:11px;color:#57606a;text-align:right}",
      ".count.limit{color:#d92d20;font-weight:600}",
      ".send{height:40px;padding:0 14px;border:0;border-radius:10px;background:" + accent + ";color:#fff;font-size:15px;font-weight:600;cursor:pointer}",
      ".send:disabled{background:#afb8c1;cursor:not-allowed}",
      ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
      "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;border-radius:0}.panel:not([hidden])~.launcher{display:none}}",
      "@media (prefers-reduced-motion:reduce){.dots span{animation:none}}"
    ].join("\n");
  }

  /* The first well-formed of: config, script tag, page, browser ("es-ES"). */
  function localeOf(config) {
    var candidates = [config.language, SCRIPT_LANGUAGE, document.documentElement.lang, navigator.language];
    for (var i = 0; i < candidates.length; i++) {
      if (candidates[i] && LOCALE.test(String(candidates[i]))) return String(candidates[i]);
    }
    return null;
  }

  /* The shipped language for a locale: "es-ES" → "es"; else the server's default. */
  function languageOf(locale) {
    var strings = I18N.strings || {};
    var code = locale ? locale.toLowerCase().split(/[-_]/)[0] : "";
    return strings[code] ? code : (I18N["default"] || "en");
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function Widget(config) {
    this.config = config;
    this.locale = localeOf(config);
    this.language = languageOf(this.locale);
    this.server = (config.serverUrl || (SCRIPT_SRC ? new URL(SCRIPT_SRC).origin : location.origin)).replace(/\/+$/, "");
    this.maxLength = config.maxLength || 4000;
    this.key = "switchboard:v1:" + this.server + ":" + (config.userId || "anonymous");
    this.local = store("localStorage");
    this.tab = store("sessionStorage");
    this.session = JSON.parse(this.local.getItem(this.key) || "null");
    this.seen = {};          // server message ids already rendered
    this.cursor = 0;         // history is complete up to here (advanced only by GET)
    this.mode = null;
    this.modeAt = 0; /* when the mode we show was current (see setMode) */
    this.pending = 0;        // sends awaiting the bot's answer (typing indicator)
    this.failed = [];        // unsent messages, retried in order
    this.working = {};       // message id → its item: turns the server still runs (202)
    this.lastReplyId = 0;    // newest bot or staff message shown
    this.unread = 0;
    this.socket = null;
    this.backoff = 1000;
    this.timers = {};
    this.started = false;
    this.build();
    if (this.session || this.tab.getItem(this.key + ":open") === "1") this.start();
    if (this.tab.getItem(this.key + ":open") === "1") this.open(false);
  }

  /* `text` (the English source) in the widget's language, with {names} filled in. */
  Widget.prototype.t = function (text, values) {
    var table = (I18N.strings || {})[this.language] || {};
    return fill(table[text] || text, values);
  };

  Widget.prototype.number = function (n) {
    try { return n.toLocaleString(this.language); } catch (e) { return String(n); }
  };

  Widget.prototype.build = function () {
    var self = this, c = this.config, accent = c.accentColor || "#3b5bdb", t = this.t.bind(this);
    var title = c.title || t("Support");
    this.host = el("div", { id: "switchboard-widget", "data-switchboard": "", lang: this.language });
    var root = this.host.attachShadow ? this.host.attachShadow({ mode: "open" }) : this.host;
    root.appendChild(el("style", {}, css(accent)));

    this.panel = el("section", { "class": "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "sb-title", id: "sb-panel" });
    this.panel.hidden = true;
    var header = el("header");
    var titles = el("div", { "class": "titles" });
    titles.appendChild(el("h2", { id: "sb-title" }, title));
    this.statusLine = el("div", { "class": "status", id: "sb-status" }, "");
    titles.appendChild(this.statusLine);
    header.appendChild(titles);
    var close = el("button", { type: "button", "class": "close", "aria-label": t("Close chat") }, "×");
    close.addEventListener("click", function () { self.close(true); });
    header.appendChild(close);

    this.log = el("ol", { "class": "log", role: "log", "aria-live": "polite", "aria-label": t("Conversation"), tabindex: "0" });
    this.typing = el("div", { "class": "typing", role: "status" });
    var dots = el("span", { "class": "dots", "aria-hidden": "true" });
    dots.appendChild(el("span")); dots.appendChild(el("span")); dots.appendChild(el("span"));
    this.typing.appendChild(dots);
    this.typing.appendChild(el("span", {}, t("{title} is typing…", { title: title })));
    this.typing.hidden = true;

    this.errorBar = el("div", { "class": "error", role: "alert" });
    this.errorText = el("span");
    this.retryButton = el("button", { type: "button" }, t("Retry"));
    this.retryButton.addEventListener("click", function () { self.retry(); });
    this.errorBar.appendChild(this.errorText);
    this.errorBar.appendChild(this.retryButton);
    this.errorBar.hidden = true;

    var form = el("form", { "aria-label": t("Send a message") });
    var field = el("div", { "class": "field" });
    this.input = el("textarea", { rows: "1", maxlength: String(this.maxLength), "aria-label": t("Message"), placeholder: t("Type your message…"), "aria-describedby": "sb-count", autocomplete: "off" });
    this.counter = el("div", { "class": "count", id: "sb-count" });
    field.appendChild(this.input);
    field.appendChild(this.counter);
    this.sendButton = el("button", { type: "submit", "class": "send", "aria-label": t("Send message") }, t("Send"));
    form.appendChild(field);
    form.appendChild(this.sendButton);
    form.addEventListener("submit", function (e) { e.preventDefault(); self.submit(); });
    this.input.addEventListener("input", function () { self.refreshInput(); });
    this.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); self.submit(); }
    });
    this.panel.addEventListener("keydown", function (e) { if (e.key === "Escape") self.close(true); });

    this.panel.appendChild(header);
    this.panel.appendChild(this.log);
    this.panel.appendChild(this.typing);
    this.panel.appendChild(this.errorBar);
    this.panel.appendChild(form);

    this.launcher = el("button", { type: "button", "class": "launcher", "aria-controls": "sb-panel", "aria-expanded": "false", "aria-label": t("Open support chat") });
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("width", "28"); svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true"); svg.setAttribute("fill", "currentColor");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    this.launcher.appendChild(svg);
    this.badge = el("span", { "class": "badge", "aria-hidden": "true" });
    this.badge.hidden = true;
    this.launcher.appendChild(this.badge);
    this.launcher.addEventListener("click", function () { self.panel.hidden ? self.open(true) : self.close(true); });

    root.appendChild(this.panel);
    root.appendChild(this.launcher);
    document.body.appendChild(this.host);
    var greeting = c.greeting && typeof c.greeting === "object"
      ? c.greeting[this.language] || c.greeting[I18N["default"] || "en"] || c.greeting[Object.keys(c.greeting)[0]]
      : c.greeting;
    if (greeting) this.render("bot", greeting);
    this.refreshInput();
    this.setStatus();

    this.onOnline = function () { self.reconnectNow(); };
    this.onVisible = function () { if (document.visibilityState === "visible") self.reconnectNow(); };
    window.addEventListener("online", this.onOnline);
    document.addEventListener("visibilitychange", this.onVisible);
  };

  /* --- panel ---------------------------------------------------------------------- */

  Widget.prototype.open = function (focus) {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.launcher.setAttribute("aria-label", this.t("Close support chat"));
    this.tab.setItem(this.key + ":open", "1");
    this.unread = 0;
    this.refreshBadge();
    this.start();
    if (focus) this.input.focus();
    this.scrollDown();
  };

  Widget.prototype.close = function (focus) {
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.tab.removeItem(this.key + ":open");
    this.refreshBadge();
    if (focus) this.launcher.focus();
  };

  Widget.prototype.refreshBadge = function () {
    this.badge.hidden = !this.unread;
    this.badge.textContent = this.unread > 9 ? "9+" : String(this.unread);
    var label = this.t(this.panel.hidden ? "Open support chat" : "Close support chat");
    if (this.unread) label = this.t("{label} ({count} unread)", { label: label, count: this.unread });
    this.launcher.setAttribute("aria-label", label);
  };

  Widget.prototype.refreshInput = function () {
    var n = this.input.value.length;
    this.sendButton.disabled = !this.input.value.trim();
    this.counter.textContent = n >= this.maxLength
      ? this.t("Limit reached: {limit} characters", { limit: this.number(this.maxLength) })
      : this.number(n) + " / " + this.number(this.maxLength);
    this.counter.className = "count" + (n >= this.maxLength ? " limit" : "");
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight + 2, 120) + "px";
  };

  Widget.prototype.setStatus = function () {
    var text = this.mode === "human"
      ? (this.staffJoined ? "You're chatting with our support team" : "Waiting for a person from our team")
      : this.mode === "closed" ? "Conversation closed" : "Virtual assistant · a person is one message away";
    text = this.t(text);
    if (this.started && !this.live && this.session) text += " · " + this.t("reconnecting…");
    this.statusLine.textContent = text;
    // For the site's own scripts and tests: "live" (socket), "polling", or "idle".
    this.host.setAttribute("data-connection", this.live ? "live" : this.timers.poll ? "polling" : "idle");
    this.host.setAttribute("data-mode", this.mode || "");
  };

  Widget.prototype.scrollDown = function () { this.log.scrollTop = this.log.scrollHeight; };

  /* --- rendering ------------------------------------------------------------------ */

  Widget.prototype.render = function (role, text, opts) {
    opts = opts || {};
    var kind = role === "customer" ? "customer" : role === "staff" ? "staff" : "bot";
    var item = el("li", { "class": "msg msg-" + kind });
    if (kind !== "customer") {
      item.appendChild(el("span", { "class": "who" }, kind === "staff" ? (opts.author || this.t("Support agent")) : (this.config.botName || this.t("Assistant"))));
    } else {
      item.appendChild(el("span", { "class": "sr" }, this.t("You:")));
    }
    var bubble = el("div", { "class": "bubble" });
    richText(bubble, text);
    item.appendChild(bubble);
    if (opts.quickReplies && opts.quickReplies.length) this.renderQuickReplies(item, opts.quickReplies);
    this.log.appendChild(item);
    this.scrollDown();
    return item;
  };

  Widget.prototype.renderQuickReplies = function (item, replies) {
    var self = this;
    var old = this.log.querySelectorAll(".quick");
    for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
    var group = el("div", { "class": "quick", role: "group", "aria-label": this.t("Suggested replies") });
    replies.forEach(function (q) {
      var b = el("button", { type: "button" }, q);
      b.addEventListener("click", function () {
        if (group.parentNode) group.parentNode.removeChild(group);
        self.send(q);
        self.input.focus();
      });
      group.appendChild(b);
    });
    item.appendChild(group);
  };

  Widget.prototype.notice = function (text) {
    this.log.appendChild(el("li", { "class": "notice", role: "note" }, text));
    this.scrollDown();
  };

  /* A message from the server (history, POST answer, socket): rendered once. */
  Widget.prototype.receive = function (m, fromHistory) {
    if (!m || m.id === undefined || this.seen[m.id]) return;
    this.seen[m.id] = true;
    if (m.role === "customer") {
      for (var i = 0; i < this.log.children.length; i++) {
        var li = this.log.children[i];
        if (li.dataset.pending && li.dataset.text === m.text) { li.dataset.id = m.id; return; }
      }
    }
    this.render(m.role, m.text, { quickReplies: m.quick_replies, createdAt: m.created_at });
    /* Honest status: "waiting" until a person has joined (their first message, or the
       server's "… joined the conversation."). */
    if (m.role === "staff" || (m.role === "bot" && /joined the conversation\.$/.test(m.text))) {
      if (!this.staffJoined) { this.staffJoined = true; this.setStatus(); }
    } else if (m.role === "bot" && /connecting you with a person/.test(m.text)) {
      this.staffJoined = false;  /* a new handoff (history replays older ones first) */
      this.setStatus();
    }
    if (m.role !== "customer") {
      this.lastReplyId = Math.max(this.lastReplyId, m.id);
      this.settle(m.id);
      if (!fromHistory) this.setTyping(false);
      if (this.panel.hidden && !fromHistory) { this.unread += 1; this.refreshBadge(); }
    }
  };

  /* `asked`: when the request that brought this mode was sent. A slow answer to an older
     request (history, a turn) must not undo what the socket said since: staff hand back,
     the socket says "bot", then a history fetch started earlier answers "human". */
  Widget.prototype.setMode = function (mode, live, asked) {
    if (!mode) return;
    var at = asked || Date.now();
    if (at < this.modeAt) return;
    this.modeAt = at;
    if (mode === this.mode) return;
    var before = this.mode;
    this.mode = mode;
    if (mode !== "human") this.staffJoined = false;
    if (live && before) {
      if (mode === "human") this.notice(this.t("Waiting for a person from our team. Anything you write is kept for them."));
      else if (mode === "bot" && before === "human") this.notice(this.t("Our support team handed you back to the virtual assistant."));
      else if (mode === "closed") this.notice(this.t("This conversation was closed. Write again any time."));
    }
    if (mode !== "bot") { this.settle(Infinity); this.setTyping(false); }
    this.setStatus();
  };

  /* The server took a message but its turn is still running (HTTP 202): say so, and
     fetch the history until the answer comes (the socket usually brings it first). Ids
     grow, so an answer to it has a larger id; one that came before the 202 counts. */
  Widget.prototype.stillWorking = function (item, messageId) {
    if (this.lastReplyId > messageId) return;
    item.appendChild(el("span", { "class": "state working" }, this.t("Still working on it…")));
    this.working[messageId] = item;
    this.setTyping(true);
    var self = this;
    if (!this.timers.slow) {
      this.timers.slow = setInterval(function () {
        self.catchUp().catch(function () {});
      }, this.config.pollIntervalMs || POLL_MS);
    }
  };

  /* Messages older than `id` have their answer: their "still working" note goes. */
  Widget.prototype.settle = function (id) {
    var self = this;
    Object.keys(this.working).forEach(function (k) {
      if (Number(k) >= id) return;
      var note = self.working[k].querySelector(".state.working");
      if (note) note.remove();
      delete self.working[k];
    });
    if (!Object.keys(this.working).length) {
      clearInterval(this.timers.slow);
      this.timers.slow = null;
      if (!this.pending) this.setTyping(false);
    }
  };

  Widget.prototype.setTyping = function (on) {
    this.typing.hidden = !(on && this.mode !== "human");
  };

  Widget.prototype.showError = function (text, canRetry) {
    this.errorText.textContent = text;
    this.retryButton.hidden = !canRetry;
    this.errorBar.hidden = false;
  };

  Widget.prototype.clearError = function () { this.errorBar.hidden = true; };

  /* --- HTTP ----------------------------------------------------------------------- */

  Widget.prototype.request = function (method, path, body, timeoutMs) {
    var self = this;
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl && setTimeout(function () { ctl.abort(); }, timeoutMs || 15000);
    var headers = { Accept: "application/json" };
    if (body) headers["Content-Type"] = "application/json";
    if (this.session && path.indexOf("/sessions") < 0) headers.Authorization = "Bearer " + this.session.token;
    return fetch(this.server + path, {
      method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
      signal: ctl ? ctl.signal : undefined, credentials: "omit", mode: "cors"
    }).then(function (r) {
      clearTimeout(timer);
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (r.ok) return data;
        var err = new Error(data.error || "HTTP " + r.status);
        err.status = r.status;
        err.retryAfter = Number(r.headers.get("Retry-After")) || 0;
        if (r.status === 401 && path.indexOf("/sessions") < 0) self.forgetSession();
        throw err;
      });
    }, function (e) { clearTimeout(timer); e.network = true; throw e; });
  };

  Widget.prototype.forgetSession = function () {
    this.session = null;
    this.local.removeItem(this.key);
    this.disconnect();
  };

  Widget.prototype.ensureSession = function () {
    var self = this, c = this.config;
    if (this.session) return Promise.resolve(this.session);
    if (this.creating) return this.creating;
    var body = {};
    if (c.userId) { body.user_id = String(c.userId); body.user_hash = c.userHash || ""; }
    if (c.name) body.name = String(c.name);
    this.creating = this.request("POST", "/api/webchat/sessions", body).then(function (s) {
      self.session = { session_id: s.session_id, token: s.token };
      self.local.setItem(self.key, JSON.stringify(self.session));
      self.creating = null;
      self.connect();
      return self.session;
    }, function (e) { self.creating = null; throw e; });
    return this.creating;
  };

  /* Fetch everything after the cursor (paged), render what is new, learn the mode. */
  Widget.prototype.catchUp = function () {
    var self = this;
    if (!this.session) return Promise.resolve();
    var asked = Date.now();
    return this.request("GET", "/api/webchat/messages?after=" + this.cursor).then(function (data) {
      var list = data.messages || [];
      list.forEach(function (m) { self.cursor = Math.max(self.cursor, m.id); self.receive(m, true); });
      self.setMode(data.mode, self.historyLoaded, asked);
      self.historyLoaded = true;
      if (list.length >= 500) return self.catchUp();
    });
  };

  Widget.prototype.start = function () {
    var self = this;
    if (this.started) return;
    this.started = true;
    var first = this.session ? this.catchUp() : Promise.resolve();
    first.then(null, function (e) {
      if (e.status !== 401) self.showError(self.t("Couldn't load the conversation.") + " " + self.describe(e), false);
    });
    this.connect();
  };

  Widget.prototype.describe = function (e) {
    if (e.network) return this.t("Check your connection.");
    if (e.status === 429) {
      return e.retryAfter
        ? this.t("Too many messages; wait {seconds} seconds.", { seconds: e.retryAfter })
        : this.t("Too many messages; wait a few seconds.");
    }
    if (e.status >= 500) return this.t("The service is having trouble.");
    // The server's own reason is English: shown only to an English widget.
    return (this.language === "en" && e.message) || this.t("Something went wrong.");
  };

  /* --- sending -------------------------------------------------------------------- */

  Widget.prototype.submit = function () {
    var text = this.input.value;
    if (!text.trim()) return;
    this.input.value = "";
    this.refreshInput();
    this.send(text);
  };

  Widget.prototype.send = function (text) {
    text = String(text).slice(0, this.maxLength);
    if (!text.trim()) return;
    var item = this.render("customer", text);
    item.classList.add("sending");
    item.dataset.pending = "1";
    item.dataset.text = text;
    var job = { text: text, item: item, clientId: Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10) };
    this.deliver(job);
  };

  Widget.prototype.deliver = function (job) {
    var self = this;
    this.pending += 1;
    this.setTyping(true);
    var state = job.item.querySelector(".state");
    if (state) state.remove();
    job.item.classList.remove("failed");
    job.item.classList.add("sending");
    var asked;
    this.ensureSession().then(function () {
      asked = Date.now();
      return self.request("POST", "/api/webchat/messages", self.message(job), SEND_TIMEOUT_MS);
    }).then(function (turn) {
      self.pending -= 1;
      delete job.item.dataset.pending;
      job.item.classList.remove("sending");
      job.item.dataset.id = turn.message_id;
      self.seen[turn.message_id] = true;
      (turn.replies || []).forEach(function (r) { self.receive({ id: r.id, role: r.role || "bot", text: r.text, quick_replies: r.quick_replies }, false); });
      self.setMode(turn.mode, true, asked);
      if (turn.status === "processing") self.stillWorking(job.item, turn.message_id);
      if (!self.pending && !Object.keys(self.working).length) self.setTyping(false);
      if (!self.failed.length) self.clearError();
    }, function (e) {
      self.pending -= 1;
      if (!self.pending) self.setTyping(false);
      job.item.classList.remove("sending");
      job.item.classList.add("failed");
      job.item.appendChild(el("span", { "class": "state" }, self.t("Not sent")));
      self.failed.push(job);
      var fatal = e.status && e.status < 500 && e.status !== 429 && e.status !== 401 && e.status !== 408;
      self.showError(self.t(fatal ? "Message not sent:" : "Couldn't send your message.") + " " + self.describe(e), !fatal);
    });
  };

  /* The message as the API takes it; the locale tells the bot the customer's language
     when the first message is too short to tell ("hola"). */
  Widget.prototype.message = function (job) {
    var body = { text: job.text, client_message_id: job.clientId };
    if (this.locale) body.locale = this.locale;
    return body;
  };

  Widget.prototype.retry = function () {
    var jobs = this.failed;
    this.failed = [];
    this.clearError();
    var self = this;
    jobs.forEach(function (job) { self.deliver(job); });
  };

  /* --- live updates: WebSocket, with polling while it is down ---------------------- */

  Widget.prototype.connect = function () {
    var self = this;
    if (!this.session || this.socket || !window.WebSocket || this.destroyed) { if (this.session && !window.WebSocket) this.poll(); return; }
    var url = this.server.replace(/^http/, "ws") + "/api/webchat/ws";
    var ws;
    try { ws = new WebSocket(url); } catch (e) { this.scheduleReconnect(); return; }
    this.socket = ws;
    var token = this.session.token;
    ws.onopen = function () { ws.send(JSON.stringify({ type: "auth", token: token })); };
    ws.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      self.lastFrame = Date.now();
      if (data.type === "ready") {
        self.live = true;
        self.backoff = 1000;
        self.heartbeat = (data.heartbeat_s || 20) * 1000;
        self.stopPolling();
        self.setStatus();
        self.watch();
        self.setMode(data.mode, self.historyLoaded);
        self.catchUp().catch(function () {});
      } else if (data.type === "message") {
        self.receive(data.message, false);
      } else if (data.type === "mode") {
        self.setMode(data.mode, true);
      }
    };
    ws.onclose = function (event) {
      if (self.socket !== ws) return;
      self.socket = null;
      self.live = false;
      clearTimeout(self.timers.watch);
      self.setStatus();
      if (event.code === 4401) { self.forgetSession(); return; }
      self.poll();
      self.scheduleReconnect();
    };
  };

  /* No frame for ~2.5 heartbeats: the connection is dead even if nobody said so. */
  Widget.prototype.watch = function () {
    var self = this;
    clearTimeout(this.timers.watch);
    this.timers.watch = setTimeout(function () {
      if (!self.socket) return;
      if (Date.now() - self.lastFrame > self.heartbeat * HEARTBEAT_GRACE) { self.socket.close(); return; }
      self.watch();
    }, this.heartbeat);
  };

  Widget.prototype.scheduleReconnect = function () {
    var self = this;
    if (this.destroyed || !this.session) return;
    clearTimeout(this.timers.reconnect);
    var wait = this.backoff * (0.75 + Math.random() * 0.5);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    this.timers.reconnect = setTimeout(function () { self.connect(); }, wait);
  };

  Widget.prototype.reconnectNow = function () {
    if (this.socket || !this.session || this.destroyed) return;
    this.backoff = 1000;
    clearTimeout(this.timers.reconnect);
    this.connect();
  };

  Widget.prototype.poll = function () {
    var self = this;
    if (this.timers.poll || this.destroyed) return;
    this.timers.poll = setInterval(function () {
      if (self.live || !self.session) { self.stopPolling(); return; }
      self.catchUp().catch(function () {});
    }, this.config.pollIntervalMs || POLL_MS);
    this.setStatus();
  };

  Widget.prototype.stopPolling = function () {
    clearInterval(this.timers.poll);
    this.timers.poll = null;
    this.setStatus();
  };

  Widget.prototype.disconnect = function () {
    var ws = this.socket;
    this.socket = null;
    this.live = false;
    if (ws) { try { ws.close(); } catch (e) { /* already closed */ } }
    this.stopPolling();
    clearTimeout(this.timers.reconnect);
    clearTimeout(this.timers.watch);
    clearInterval(this.timers.slow);
    this.timers.slow = null;
  };

  Widget.prototype.destroy = function () {
    this.destroyed = true;
    this.disconnect();
    window.removeEventListener("online", this.onOnline);
    document.removeEventListener("visibilitychange", this.onVisible);
    if (this.host.parentNode) this.host.parentNode.removeChild(this.host);
  };

  var current = null;

  function init(config) {
    if (current) current.destroy();
    var start = function () { current = new Widget(config || {}); };
    if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
    return {
      open: function () { if (current) current.open(true); },
      close: function () { if (current) current.close(false); },
      destroy: function () { if (current) { current.destroy(); current = null; } }
    };
  }

  window.SwitchboardWidget = { init: init, version: "1" };
  if (window.SwitchboardWidgetConfig) init(window.SwitchboardWidgetConfig);
})();
