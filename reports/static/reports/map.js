/* Map of incidents: markers at their poles, coloured by SLA state, clustered, each linking to its
 * incident. Tiles only when MAP_TILE_URL is set; otherwise a plain background. The markers are
 * re-read when the API's live queue reports a change (a burst → one fetch). No external code. */
(function () {
  "use strict";
  var box = document.getElementById("incident-map");
  var status = document.getElementById("map-status");
  if (!box || !window.L) { return; }
  var COLORS = {
    expired: "#c62828", less_than_hour: "#e0a100", in_progress: "#1565c0",
    closed_on_time: "#2e7d32", unknown: "#6b7280"
  };
  var map = L.map(box, { maxZoom: 18, worldCopyJump: true })  // clustering needs a maxZoom even without tiles
   .setView([55.75, 37.62], 4);
  if (box.dataset.tileUrl) {
    L.tileLayer(box.dataset.tileUrl, { attribution: box.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
  }
  var cluster = L.markerClusterGroup({ maxClusterRadius: 40 });
  map.addLayer(cluster);
  var fitted = false;

  function text(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) { return values[key]; });
  }

  function marker(point) {
    var m = L.circleMarker([point.lat, point.lon], {
      radius: 8, weight: 2, color: "#fff", fillColor: COLORS[point.sla] || COLORS.unknown,
      fillOpacity: 0.95, className: "incident-marker sla-" + point.sla
    });
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.code;
    var popup = document.createElement("div");
    popup.appendChild(link);
    [point.status, point.pole, point.subject].forEach(function (line) {
      var p = document.createElement("div");
      p.textContent = line || "";
      popup.appendChild(p);
    });
    m.bindPopup(popup);
    m.bindTooltip(point.code + " · " + (point.pole || ""));
    m.on("add", function () {
      var path = m.getElement();
      if (path) { path.setAttribute("data-incident", String(point.id)); path.setAttribute("data-url", point.url); }
    });
    return m;
  }

  function load() {
    return fetch(box.dataset.pointsUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        cluster.clearLayers();
        cluster.addLayers(data.points.map(marker));
        var parts = [text(status.dataset.textCount, { shown: data.points.length })];
        if (data.without_coordinates) {
          parts.push(text(status.dataset.textMissing, { missing: data.without_coordinates }));
        }
        if (data.truncated) { parts.push(status.dataset.textTruncated); }
        status.textContent = parts.join(" ");
        if (!fitted && data.points.length) {
          map.fitBounds(cluster.getBounds(), { padding: [30, 30], maxZoom: 12 });
          fitted = true;
        }
        box.dataset.loaded = String(Date.now());
      })
      .catch(function () { status.textContent = status.dataset.textOffline; });
  }

  load();
  if (window.EventSource) {
    var source = new EventSource(box.dataset.liveUrl), timer = null;
    source.addEventListener("incident", function () {
      clearTimeout(timer);
      timer = setTimeout(load, 500);
    });
  }
})();
