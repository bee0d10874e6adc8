// Staff console enhancements: live countdowns and a board that refreshes itself over
// server-sent events. Everything works without this script.
(function () {
  "use strict";
  // Durations in the page language, with the catalogue's templates (web/clocks.rs does the
  // same on the server): left, overdue, days, days+hours, hours+minutes, minutes.
  var words = (document.body.dataset.clockWords || "{} left|{} overdue|{} d|{} d {} h|{} h {} min|{} min").split("|");
  function fill(t, vals) { var i = 0; return t.replace(/\{\}/g, function () { return String(vals[i++]); }); }
  function fmt(ms) {
    var m = Math.floor(Math.abs(ms) / 60000), d = Math.floor(m / 1440), h = Math.floor(m / 60) % 24;
    var span = d >= 10 ? fill(words[2], [d]) : d >= 1 ? fill(words[3], [d, h])
      : m >= 60 ? fill(words[4], [Math.floor(m / 60), m % 60]) : fill(words[5], [m]);
    return (ms < 0 ? words[1] : words[0]).replace("{}", span);
  }
  function tick() {
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = Number(el.dataset.due) - Date.now();
      el.textContent = fmt(left);
      el.classList.toggle("overdue", left < 0);
    });
  }
  tick();
  setInterval(tick, 30000);
  var board = document.getElementById("board");
  // Bulk selection: a "select all" box, and choices that survive the live refresh (only
  // while the case is unchanged: a changed case comes back with a new version, unticked).
  function picked() {
    return Array.prototype.map.call(document.querySelectorAll("input[name=case]:checked"), function (el) { return el.value; });
  }
  function wireSelectAll() {
    var all = document.getElementById("select-all");
    if (!all) return;
    all.hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=case]").forEach(function (el) { el.checked = all.checked; });
    });
  }
  wireSelectAll();
  if (!board || !window.EventSource) return;
  var src = new EventSource(board.dataset.live);
  var live = document.getElementById("live");
  src.onopen = function () { if (live) live.hidden = false; board.dataset.connected = "1"; };
  src.addEventListener("changed", function () {
    var url = new URL(location.href);
    url.searchParams.set("fragment", "1");
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (html === null) return;
      var keep = picked();
      board.innerHTML = html;
      keep.forEach(function (v) {
        var el = board.querySelector("input[name=case][value='" + v + "']");
        if (el) el.checked = true;
      });
      wireSelectAll();
      board.dataset.version = String(Number(board.dataset.version || 0) + 1);
      tick();
    });
  });
})();
