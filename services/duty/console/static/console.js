// The console works without this script; with it, countdowns tick, the list updates in place
// (keeping keyboard focus), and the launch form previews what members will read as it is typed.
(function () {
  "use strict";
  var serverNow = Date.parse(document.body.dataset.now || "");
  var offset = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function clock(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var ss = (s < 10 ? "0" : "") + s;
    if (h > 0) return h + ":" + (m < 10 ? "0" : "") + m + ":" + ss;
    return m + ":" + ss;
  }

  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("datetime")) - now) / 1000);
      el.textContent = left > 0 ? clock(left) : el.dataset.dueText;
    });
  }

  function comparable(node) {
    var copy = node.cloneNode(true);
    copy.querySelectorAll("[data-countdown]").forEach(function (el) { el.textContent = ""; });
    // A section the reader opened is not news from the server.
    copy.querySelectorAll("details[open]").forEach(function (el) { el.removeAttribute("open"); });
    return copy.innerHTML;
  }

  function focusKey(el) {
    if (!el || el === document.body) return null;
    var row = el.closest("[data-activation-id]");
    return {
      row: row ? row.dataset.activationId : null,
      id: el.dataset.testid || el.getAttribute("href") || el.name || null,
    };
  }

  function refocus(live, key) {
    if (!key || !key.id) return;
    var scope = key.row ? live.querySelector('[data-activation-id="' + key.row + '"]') : live;
    if (!scope) return;
    var found = Array.prototype.find.call(scope.querySelectorAll("a, button, input, select, textarea"), function (el) {
      return (el.dataset.testid || el.getAttribute("href") || el.name || null) === key.id;
    });
    if (found) found.focus();
  }

  function refresh(live) {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (!fresh || comparable(fresh) === comparable(live)) return;
        var key = live.contains(document.activeElement) ? focusKey(document.activeElement) : null;
        var opened = Array.prototype.map.call(live.querySelectorAll("details[open][id]"), function (el) { return el.id; });
        live.innerHTML = fresh.innerHTML;
        opened.forEach(function (id) { var el = document.getElementById(id); if (el) el.open = true; });
        refocus(live, key);
        tick();
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }

  function preview(area) {
    var target = document.querySelector('[data-testid="' + area.dataset.preview + '"]');
    var prefix = document.getElementById("preview-prefix");
    if (!target) return;
    var text = area.value.trim();
    target.textContent = text ? (prefix ? prefix.dataset.prefix : "") + text : target.dataset.empty;
  }

  tick();
  setInterval(tick, 1000);
  var live = document.getElementById("live");
  if (live && live.dataset.live) {
    setInterval(function () { refresh(live); }, Number(live.dataset.live) * 1000);
  }
  document.querySelectorAll("textarea[data-preview]").forEach(function (area) {
    area.addEventListener("input", function () { preview(area); });
  });
})();
