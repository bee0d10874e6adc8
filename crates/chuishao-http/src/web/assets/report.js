// Report form enhancements: a search box over the category list, "use my location", the
// duplicate hint, and tapping the map in place.
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

  // The map: without script a tap submits map.x/map.y and the server answers with the point;
  // with it, a tap fills the coordinates and moves the marker here, and nothing is sent.
  var pick = document.getElementById("map-pick");
  var mapInput = document.getElementById("map");
  if (pick && mapInput) {
    var num = function (k) { return parseFloat(pick.getAttribute("data-" + k)); };
    var marker = document.getElementById("map-marker");
    var place = function (x, y) {
      marker.style.left = (100 * x / num("width")) + "%";
      marker.style.top = (100 * y / num("height")) + "%";
      marker.hidden = false;
    };
    mapInput.addEventListener("click", function (e) {
      e.preventDefault();
      var r = mapInput.getBoundingClientRect();
      if (!e.detail || !r.width || !r.height) return; // keyboard activation: no point
      var x = (e.clientX - r.left) * num("width") / r.width;
      var y = (e.clientY - r.top) * num("height") / r.height;
      var latEl = document.getElementById("lat"), lonEl = document.getElementById("lon");
      latEl.value = (num("max-lat") - y / num("ky")).toFixed(6);
      lonEl.value = (num("min-lon") + x / num("kx")).toFixed(6);
      place(x, y);
      // A marker the server drew for an earlier point would now mislead: the plain map.
      if (mapInput.src.indexOf("?") >= 0) mapInput.src = "/report/map.svg";
      document.getElementById("map-chosen-point").textContent = latEl.value + ", " + lonEl.value;
      document.getElementById("map-chosen").hidden = false;
      hint();
    });
  }

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
