// Live tracking: follows the case's server-sent events and adds each new step to the
// timeline without a reload. Without JavaScript the page is complete; it just does not move.
(function () {
  "use strict";
  var card = document.getElementById("case");
  if (!card || !window.EventSource) return;
  var code = card.getAttribute("data-code");
  var lang = card.getAttribute("data-lang");
  var seq = parseInt(card.getAttribute("data-seq"), 10) || 0;
  var list = document.getElementById("timeline");
  var status = document.getElementById("status");
  var note = document.getElementById("live-note");

  function shortTime(rfc) {
    // "2026-11-29T08:05:00+08:00" -> "2026-11-29 08:05" (the server's zone, as rendered).
    return rfc.slice(0, 10) + " " + rfc.slice(11, 16);
  }

  function add(u) {
    if (u.seq <= seq) return;
    seq = u.seq;
    var li = document.createElement("li");
    li.className = "kind-" + u.entry.kind + " fresh";
    var t = document.createElement("time");
    t.setAttribute("datetime", u.entry.at);
    t.textContent = shortTime(u.entry.at);
    var s = document.createElement("span");
    s.textContent = lang === "en" ? u.entry.text_en : u.entry.text_zh;
    li.appendChild(t);
    li.appendChild(s);
    list.appendChild(li);
    status.textContent = lang === "en" ? u.status_en : u.status_zh;
    status.className = "status status-" + u.status;
  }

  var source;
  function connect() {
    source = new EventSource("/t/" + encodeURIComponent(code) + "/events?after=" + seq);
    source.addEventListener("open", function () {
      if (note) note.textContent = note.getAttribute("data-on");
      card.setAttribute("data-live", "1");
    });
    source.addEventListener("update", function (ev) {
      try { add(JSON.parse(ev.data)); } catch (e) { /* ignore a malformed message */ }
      card.setAttribute("data-seq", String(seq));
    });
    source.addEventListener("error", function () {
      // EventSource reconnects by itself, continuing from the last event id.
      card.removeAttribute("data-live");
    });
  }
  connect();
})();
