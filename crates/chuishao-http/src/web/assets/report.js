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
      }, function (e) {
        status.textContent = e.message || "";
      }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
})();
