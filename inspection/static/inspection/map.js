// The dataset map (templates/inspection/map.html): Leaflet (django-leaflet's bundled copy,
// served as our static files) with the parcels of the view from GET /query/parcelMap,
// asked again on each pan or zoom (a view at a time, bounded by the server's limit),
// coloured by traffic light (by crop where the markers have not run), filtered by light
// and practice; a click opens the parcel's page. Nothing inline: the page's CSP stays.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var status = document.getElementById("map-status");
  var form = document.getElementById("map-filters");
  var holder = document.getElementById("map");
  var LIGHTS = { red: "#d32f2f", yellow: "#f9a825", green: "#388e3c" };
  // Crops without a light: a few distinct hues, picked by the crop code's hash.
  var CROPS = ["#6a6a9a", "#8e5ea2", "#3e7cb1", "#5b8c85", "#9a6a4a", "#7a7a3a", "#4a5a9a"];

  var map = L.map(holder, { zoomSnap: 1 });
  map.attributionControl.setPrefix(false);
  if (config.base) {
    L.tileLayer(config.base.url, { attribution: config.base.attribution, maxZoom: 19 }).addTo(map);
  }
  var layer = L.geoJSON(null, { style: style, onEachFeature: wire }).addTo(map);
  var asking = null, asked = 0;

  function cropColour(code) {
    var h = 0, s = String(code || "");
    for (var i = 0; i < s.length; i++) { h = (h * 31 + s.charCodeAt(i)) >>> 0; }
    return CROPS[h % CROPS.length];
  }

  function style(feature) {
    var p = feature.properties;
    var colour = p.light ? LIGHTS[p.light] : cropColour(p.cropcode || p.cropname);
    return { color: colour, weight: 2, opacity: 1, fillColor: colour, fillOpacity: p.light ? 0.6 : 0.35 };
  }

  function wire(feature, shape) {
    var p = feature.properties;
    shape.bindTooltip(function () {
      var box = document.createElement("span");  // text only: ids and crops are data
      box.textContent = p.pid + " · " + (p.cropname || p.cropcode || "crop unknown") +
        (p.light ? " · " + p.light + (p.practice ? " (" + p.practice + ")" : "") : " · not assessed");
      return box;
    }, { sticky: true });
    shape.on("click", function () {
      window.location.href = config.page + "&pid=" + encodeURIComponent(p.pid);
    });
  }

  function filters() {
    var lights = Array.prototype.filter.call(form.querySelectorAll("input[name=light]"), function (c) {
      return c.checked;
    }).map(function (c) { return c.value; });
    var practice = form.querySelector("select[name=practice]").value;
    return { lights: lights, practice: practice, every: lights.length === 4 };
  }

  function load() {
    var b = map.getBounds(), f = filters();
    var w = Math.max(b.getWest(), -180), e = Math.min(b.getEast(), 180);
    var s = Math.max(b.getSouth(), -90), n = Math.min(b.getNorth(), 90);
    if (asking) { asking.abort(); asking = null; }
    if (e - w > config.maxSpan || n - s > config.maxSpan) {
      layer.clearLayers();
      holder.setAttribute("data-state", "zoom-in");
      status.textContent = "Zoom in to see the parcels.";
      return;
    }
    if (!f.lights.length) {
      layer.clearLayers();
      holder.setAttribute("data-state", "loaded");
      holder.setAttribute("data-features", "0");
      status.textContent = "No light chosen: no parcel shown.";
      return;
    }
    var url = config.data + "&bbox=" + [w, s, e, n].map(function (v) { return v.toFixed(6); }).join(",") +
      "&zoom=" + map.getZoom();
    if (!f.every) { url += "&light=" + f.lights.join(","); }
    if (f.practice) { url += "&practice=" + encodeURIComponent(f.practice); }
    var ticket = ++asked;
    asking = new AbortController();
    holder.setAttribute("data-state", "loading");
    fetch(url, { headers: { "Accept": "application/geo+json, application/json" }, credentials: "same-origin", signal: asking.signal })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (ticket !== asked) { return; }
        layer.clearLayers();
        if (!answer.ok) {
          status.textContent = answer.body.error || "The server refused the view.";
          holder.setAttribute("data-state", "error");
          return;
        }
        layer.addData(answer.body);
        var count = answer.body.features.length;
        status.textContent = count + " parcel" + (count === 1 ? "" : "s") + " in view" +
          (answer.body.truncated ? " (the first " + answer.body.limit + " by id: zoom in for the rest)" : "") + ".";
        holder.setAttribute("data-features", String(count));
        holder.setAttribute("data-state", "loaded");
      })
      .catch(function (error) {
        if (error.name !== "AbortError") { status.textContent = "No answer from the server."; }
      });
  }

  map.on("moveend", load);
  form.addEventListener("change", load);
  form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  if (config.centre) { map.setView([config.centre[1], config.centre[0]], 17); }
  else if (config.extent) {
    var x = config.extent;
    map.fitBounds([[x[1], x[0]], [x[3], x[2]]]);
    if (map.getZoom() < 14) { map.setZoom(14); }  // a view the server answers: field zoom
  } else { map.setView([50, 10], 4); status.textContent = "The dataset has no parcel."; }
})();
