// Report form enhancements: a search box over the category list, and "use my location".
// The form works without any of this.
(function () {
  "use strict";
  var filter = document.getElementById("category-filter");
  var select = document.getElementById("category");
  if (filter && select) {
    filter.hidden = false;
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      var first = null;
      Array.prototype.forEach.call(select.querySelectorAll("option"), function (o) {
        if (!o.value) return;
        var hit = !q || (o.textContent + " " + (o.title || "") + " " + o.value).toLowerCase().indexOf(q) >= 0;
        o.hidden = !hit;
        if (hit && !first) first = o;
      });
      if (q && first) select.value = first.value;
    });
  }
  // Duplicate hint: open cases of the chosen category within 50 m, with a "me too" button.
  var nearby = document.getElementById("nearby");
  function hint() {
    var latv = document.getElementById("lat").value, lonv = document.getElementById("lon").value;
    var cat = select ? select.value : "";
    if (!nearby || !cat || !latv || !lonv || !window.fetch) return;
    fetch("/report/nearby.json?category=" + encodeURIComponent(cat) + "&lat=" + encodeURIComponent(latv) +
      "&lon=" + encodeURIComponent(lonv)).then(function (r) { return r.ok ? r.json() : []; }).then(function (list) {
      nearby.textContent = "";
      nearby.hidden = !list.length;
      if (!list.length) return;
      var en = nearby.getAttribute("data-lang") === "en";
      var p = document.createElement("p");
      p.textContent = nearby.getAttribute("data-title");
      nearby.appendChild(p);
      var csrf = document.querySelector("input[name=csrf]").value;
      list.forEach(function (c) {
        var row = document.createElement("form");
        row.method = "post";
        row.action = "/t/" + c.tracking_code + "/me-too?lang=" + (en ? "en" : "zh");
        row.className = "nearby-case";
        var a = document.createElement("a");
        a.href = "/t/" + c.tracking_code;
        a.textContent = (en ? c.status_en : c.status_zh) + " · " + c.distance_m + " m · +" + c.me_too;
        var h = document.createElement("input");
        h.type = "hidden"; h.name = "csrf"; h.value = csrf;
        var b = document.createElement("button");
        b.type = "submit"; b.className = "secondary"; b.textContent = nearby.getAttribute("data-me-too");
        row.appendChild(a); row.appendChild(h); row.appendChild(b);
        nearby.appendChild(row);
      });
    }).catch(function () {});
  }
  ["lat", "lon", "category"].forEach(function (id) {
    var el = document.getElementById(id);
    if (el) el.addEventListener("change", hint);
  });

  var locate = document.getElementById("locate");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var status = document.getElementById("locate-status");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      status.textContent = "…";
      navigator.geolocation.getCurrentPosition(function (p) {
        lat.value = p.coords.latitude.toFixed(6);
        lon.value = p.coords.longitude.toFixed(6);
        status.textContent = lat.value + ", " + lon.value;
        hint();
      }, function (e) {
        status.textContent = e.message || "";
      }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
})();
