/* Switchboard web chat widget: one <script> tag, then SwitchboardWidget.init({...}). */
(function () {
  "use strict";
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  function init(config) {
    var server = (config.serverUrl || "").replace(/\/$/, "");
    var storeKey = "switchboard:" + server + ":" + (config.userId || "anon");
    var state = JSON.parse(localStorage.getItem(storeKey) || "null");
    var lastId = 0;
    var root = el("div", { id: "switchboard-widget" });
    root.innerHTML =
      '<button class="sb-launcher" aria-label="Open support chat">Chat</button>' +
      '<section class="sb-panel" hidden aria-label="Support chat"><header></header>' +
      '<ol class="sb-log" aria-live="polite"></ol>' +
      '<form class="sb-form"><input aria-label="Message" maxlength="4000" autocomplete="off">' +
      '<button type="submit">Send</button></form></section>';
    var style = el("style");
    style.textContent =
      "#switchboard-widget{position:fixed;right:16px;bottom:16px;font:14px system-ui,sans-serif;z-index:99999}" +
      ".sb-launcher{background:" + (config.accentColor || "#3b5bdb") + ";color:#fff;border:0;border-radius:24px;padding:12px 18px}" +
      ".sb-panel{width:min(360px,calc(100vw - 32px));height:480px;background:#fff;border:1px solid #ccc;border-radius:8px;display:flex;flex-direction:column}" +
      ".sb-panel[hidden]{display:none}.sb-panel header{padding:8px;font-weight:600;border-bottom:1px solid #eee}" +
      ".sb-log{flex:1;overflow:auto;margin:0;padding:8px;list-style:none}.sb-log li{margin:4px 0;white-space:pre-wrap}" +
      ".sb-customer{text-align:right}.sb-form{display:flex;border-top:1px solid #eee}.sb-form input{flex:1;padding:8px;border:0}";
    document.head.appendChild(style);
    document.body.appendChild(root);
    var panel = root.querySelector(".sb-panel");
    var log = root.querySelector(".sb-log");
    var input = root.querySelector("input");
    root.querySelector("header").textContent = config.title || "Support";
    root.querySelector(".sb-launcher").onclick = function () {
      panel.hidden = !panel.hidden;
      if (!panel.hidden) { input.focus(); ensureSession().then(loadHistory); }
    };
    function add(role, text, quickReplies) {
      var item = el("li", { "class": "sb-" + role }, text);
      (quickReplies || []).forEach(function (q) {
        var b = el("button", { type: "button" }, q);
        b.onclick = function () { send(q); };
        item.appendChild(document.createElement("br"));
        item.appendChild(b);
      });
      log.appendChild(item);
      log.scrollTop = log.scrollHeight;
    }
    function ensureSession() {
      if (state) return Promise.resolve(state);
      var body = {};
      if (config.userId) { body.user_id = config.userId; body.user_hash = config.userHash; }
      return fetch(server + "/api/webchat/sessions", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      }).then(function (r) { return r.json(); }).then(function (s) {
        state = s; localStorage.setItem(storeKey, JSON.stringify(s)); return s;
      });
    }
    function loadHistory() {
      return fetch(server + "/api/webchat/messages?after=" + lastId, {
        headers: { Authorization: "Bearer " + state.token }
      }).then(function (r) { return r.json(); }).then(function (data) {
        (data.messages || []).forEach(function (m) {
          lastId = Math.max(lastId, m.id); add(m.role, m.text, m.quick_replies);
        });
        if (!lastId && config.greeting) add("bot", config.greeting);
      });
    }
    function send(text) {
      if (!text.trim()) return;
      ensureSession().then(function (s) {
        return fetch(server + "/api/webchat/messages", {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: "Bearer " + s.token },
          body: JSON.stringify({ text: text, client_message_id: String(Date.now()) + Math.random() })
        });
      }).then(function () { return loadHistory(); });
    }
    root.querySelector("form").onsubmit = function (e) {
      e.preventDefault(); var t = input.value; input.value = ""; send(t);
    };
  }
  window.SwitchboardWidget = { init: init };
})();
