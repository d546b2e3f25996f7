/* geostrike map app: draws checked strike claims on a Leaflet map.
 *
 * Written for geostrike (geostrike/maps.py inlines this file into every map). The data
 * arrives as JSON in a script element of type application/json, parsed with JSON.parse.
 * Every value that came from user data is put into the page with textContent or as a DOM
 * attribute value, never through innerHTML, so hostile text shows as text. Links are made
 * only from http/https URLs (checked in Python and again here).
 */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function safeHttpUrl(u) {
    if (typeof u !== "string" || !/^https?:\/\/[^\s\\]+$/i.test(u)) return null;
    try {
      var p = new URL(u);
      return p.protocol === "http:" || p.protocol === "https:" ? p.href : null;
    } catch (err) {
      return null;
    }
  }

  var kmPerMile = 1.609344; /* replaced by the value geostrike sends */
  function fmtDist(km) {
    if (km === null || km === undefined) return "";
    var mi = km / kmPerMile;
    var d = km < 10 ? 1 : 0;
    return km.toFixed(d) + " km (" + mi.toFixed(d) + " mi)";
  }

  /* Geodesic distance on the WGS84 ellipsoid (Vincenty's inverse formula), metres. */
  function geodesicMetres(a, b) {
    var A = 6378137.0, F = 1 / 298.257223563, B = A * (1 - F);
    var rad = Math.PI / 180;
    var L = (b.lng - a.lng) * rad;
    var U1 = Math.atan((1 - F) * Math.tan(a.lat * rad));
    var U2 = Math.atan((1 - F) * Math.tan(b.lat * rad));
    var sU1 = Math.sin(U1), cU1 = Math.cos(U1), sU2 = Math.sin(U2), cU2 = Math.cos(U2);
    var lam = L, prev, iter = 0, sS, cS, sig, sA, c2A, c2m, C;
    do {
      var sL = Math.sin(lam), cL = Math.cos(lam);
      sS = Math.sqrt((cU2 * sL) * (cU2 * sL) + (cU1 * sU2 - sU1 * cU2 * cL) * (cU1 * sU2 - sU1 * cU2 * cL));
      if (sS === 0) return 0;
      cS = sU1 * sU2 + cU1 * cU2 * cL;
      sig = Math.atan2(sS, cS);
      sA = cU1 * cU2 * sL / sS;
      c2A = 1 - sA * sA;
      c2m = c2A !== 0 ? cS - 2 * sU1 * sU2 / c2A : 0;
      C = F / 16 * c2A * (4 + F * (4 - 3 * c2A));
      prev = lam;
      lam = L + (1 - C) * F * sA * (sig + C * sS * (c2m + C * cS * (-1 + 2 * c2m * c2m)));
    } while (Math.abs(lam - prev) > 1e-12 && ++iter < 200);
    if (iter >= 200) return a.distanceTo(b); /* nearly antipodal: great circle */
    var u2 = c2A * (A * A - B * B) / (B * B);
    var kA = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
    var kB = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
    var dS = kB * sS * (c2m + kB / 4 * (cS * (-1 + 2 * c2m * c2m) - kB / 6 * c2m * (-3 + 4 * sS * sS) * (-3 + 4 * c2m * c2m)));
    return B * kA * (sig - dS);
  }

  var SVGNS = "http://www.w3.org/2000/svg";
  function icon(d) {
    var svg = document.createElementNS(SVGNS, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    var path = document.createElementNS(SVGNS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "#333");
    path.setAttribute("stroke-width", "1.6");
    svg.appendChild(path);
    return svg;
  }
  var ICON_FULLSCREEN = "M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4";
  var ICON_RULER = "M1.5 11.5l10-10 3 3-10 10zM4.5 8.5l1.5 1.5M6.5 6.5l1.5 1.5M8.5 4.5l1.5 1.5";

  function button(svgPath, title, onclick) {
    var b = el("a", "gs-button");
    b.appendChild(icon(svgPath));
    b.href = "#";
    b.title = title;
    b.setAttribute("role", "button");
    L.DomEvent.on(b, "click", function (e) {
      L.DomEvent.stop(e);
      onclick();
    });
    return b;
  }

  window.geostrikeApp = function (map, D, tiles, uid) {
    kmPerMile = D.kmPerMile;
    var T = D.strings;
    var S = D.strikes;
    var n = S.lat.length;
    var verdicts = D.verdicts;
    var str = function (i) { return i < 0 ? "" : T[i]; };

    /* Zoom 15 shows streets; fewer levels keep marker clustering fast. */
    map.options.maxZoom = 15;
    map.options.minZoom = 2;
    map.createPane("gsBase").style.zIndex = 250;
    var baseCanvas = L.canvas({ pane: "gsBase" });
    var canvas = L.canvas({ padding: 0.3, tolerance: 4 });
    var api = { map: map, layers: {}, dates: D.dates, ready: false, timings: {} };
    var t0 = performance.now();
    function mark(name) { api.timings[name] = Math.round(performance.now() - t0); }
    window.geostrike = api;

    /* ---- base layer: tiles (online) or Natural Earth outlines (offline) ---- */
    var bases = {};
    if (D.outlines) {
      map.getContainer().style.background = "#dfe9f2";
      var outl = L.geoJSON(D.outlines, {
        renderer: baseCanvas, interactive: false, attribution: "Country outlines: Natural Earth",
        style: { color: "#8c8c8c", weight: 0.8, fillColor: "#f7f5f0", fillOpacity: 1 }
      }).addTo(map);
      bases["Country outlines (Natural Earth)"] = outl;
      api.layers.outlines = outl;
    }
    if (tiles) bases["OpenStreetMap"] = tiles;

    /* ---- zones: one layer per zone, shown when valid on the selected date ---- */
    var zoneLayers = D.zones.features.map(function (f) {
      var p = f.properties;
      var lyr = L.geoJSON(f, {
        renderer: canvas,
        style: {
          color: p.c, weight: p.j ? 2 : 1, dashArray: p.j ? "5,4" : null, opacity: 0.9,
          fillColor: p.c, fillOpacity: D.zoneOpacity
        }
      });
      lyr.gsZone = p;
      lyr.eachLayer(function (l) { l.options.gsKind = "zone"; });
      return lyr;
    });
    var zones = L.featureGroup().addTo(map);
    zones.bindPopup(function (layer) {
      var p = (layer.feature && layer.feature.properties) || {};
      var box = el("div", "gs-popup");
      box.appendChild(el("div", "gs-popup-title", "Control zone: " + str(p.l)));
      var tb = el("table");
      [["Held by", str(p.l)], ["Valid from", p.vf || "open"], ["Valid to", p.vt || "open"],
       ["Source", str(p.s)]].forEach(function (r) {
        var tr = el("tr"); tr.appendChild(el("th", null, r[0])); tr.appendChild(el("td", null, r[1]));
        tb.appendChild(tr);
      });
      box.appendChild(tb);
      return box;
    }, { maxWidth: 320 });
    api.layers.zones = zones;

    /* ---- strikes: circle markers on one canvas, one group per verdict ---- */
    /* Without clustering each verdict is a feature group of markers. With clustering one
       cluster group holds the markers of the verdicts switched on (the verdict entries of
       the layer control are then empty stand-ins), and each cluster icon is a ring
       showing the share of each verdict. */
    var cluster = D.cluster && typeof L.markerClusterGroup === "function";
    var clusterGroup = null;
    if (cluster) {
      clusterGroup = L.markerClusterGroup({
        chunkedLoading: false, showCoverageOnHover: false, maxClusterRadius: 50,
        iconCreateFunction: function (c) {
          var kids = c.getAllChildMarkers(), cnt = verdicts.map(function () { return 0; });
          for (var q = 0; q < kids.length; q++) cnt[S.v[kids[q].options.gsIndex]]++;
          var stops = [], acc = 0;
          cnt.forEach(function (x, k) {
            var a = acc, b2 = acc + 360 * x / kids.length;
            stops.push(verdicts[k].color + " " + a.toFixed(1) + "deg " + b2.toFixed(1) + "deg");
            acc = b2;
          });
          var div = el("div", null, kids.length);
          div.style.background = "conic-gradient(" + stops.join(",") + ")";
          return L.divIcon({ html: div, className: "gs-cluster", iconSize: L.point(36, 36) });
        }
      });
    }
    var groups = verdicts.map(function () { return cluster ? L.layerGroup() : L.featureGroup(); });
    var markers = new Array(n);
    for (var i = 0; i < n; i++) {
      var v = verdicts[S.v[i]];
      var m = L.circleMarker([S.lat[i], S.lon[i]], {
        renderer: canvas, radius: 6, color: "#ffffff", weight: 1.5, fillColor: v.color,
        fillOpacity: 0.95, gsKind: "strike", gsIndex: i
      });
      markers[i] = m;
    }

    function popupFor(layer) {
      var i = layer.options.gsIndex;
      var box = el("div", "gs-popup");
      var v = verdicts[S.v[i]];
      var head = el("div", "gs-popup-title", "Strike " + str(S.id[i]));
      box.appendChild(head);
      var badge = el("div", "gs-verdict", v.label);
      badge.style.background = v.color;
      box.appendChild(badge);
      var tb = el("table");
      function row(label, value, node) {
        if ((value === "" || value === null || value === undefined) && !node) return;
        var tr = el("tr");
        tr.appendChild(el("th", null, label));
        var td = el("td", null, node ? null : value);
        if (node) td.appendChild(node);
        tr.appendChild(td);
        tb.appendChild(tr);
      }
      D.fields.forEach(function (f) { row(f[0], str(S.f[f[1]][i])); });
      row("Distance to target territory", fmtDist(S.tkm[i]));
      row("Distance from stated place", fmtDist(S.pkm[i]));
      if (S.p[i] !== null && S.p[i] > 0) row("Location precision", "\u00B1 " + fmtDist(S.p[i]));
      var src = str(S.src[i]);
      var url = S.url[i] ? safeHttpUrl(src) : null;
      if (url) {
        var a = el("a", null, src);
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer nofollow";
        row("Source", null, a);
      } else {
        row("Source", src);
      }
      box.appendChild(tb);
      var reason = str(S.reason[i]);
      if (reason) box.appendChild(el("p", "gs-reason", reason));
      return box;
    }
    (cluster ? [clusterGroup] : groups).forEach(function (g) {
      g.bindPopup(popupFor, { maxWidth: 380, minWidth: 240 });
    });
    groups.forEach(function (g, k) { api.layers[verdicts[k].key] = g; });

    mark("markers");
    /* ---- precision circles and distance lines ---- */
    var precision = L.featureGroup(), target = L.featureGroup(), stated = L.featureGroup();
    var circles = new Array(n), tlines = new Array(n), plines = new Array(n), pdots = new Array(n);
    var hoverTip = L.tooltip({ sticky: true, className: "gs-line-label" });
    function label(line, text) {
      var node = el("span", null, text);
      if (D.labels) {
        line.bindTooltip(node, { permanent: true, direction: "center", className: "gs-line-label", interactive: false });
      } else {
        line.on("mouseover", function (e) { hoverTip.setContent(el("span", null, text)).setLatLng(e.latlng).openOn(map); });
        line.on("mouseout", function () { map.closeTooltip(hoverTip); });
      }
    }
    for (i = 0; i < n; i++) {
      var vc = verdicts[S.v[i]].color;
      if (S.p[i] !== null && S.p[i] > 0) {
        circles[i] = L.circle([S.lat[i], S.lon[i]], {
          renderer: canvas, radius: S.p[i] * 1000, color: vc, weight: 1, opacity: 0.5,
          fillColor: vc, fillOpacity: D.precisionOpacity, interactive: false, gsKind: "precision"
        });
      }
      if (S.tkm[i] !== null && S.tkm[i] > 0 && S.tlat[i] !== null) {
        tlines[i] = L.polyline([[S.lat[i], S.lon[i]], [S.tlat[i], S.tlon[i]]], {
          renderer: canvas, color: D.targetColor, weight: 2, dashArray: "6,5", gsKind: "target-line", gsIndex: i
        });
        label(tlines[i], fmtDist(S.tkm[i]) + " to " + str(S.tname[i]));
      }
      if (S.plat[i] !== null && S.pkm[i] !== null && S.pkm[i] > 0) {
        plines[i] = L.polyline([[S.plat[i], S.plon[i]], [S.lat[i], S.lon[i]]], {
          renderer: canvas, color: D.statedColor, weight: 2, dashArray: "2,5", gsKind: "stated-line", gsIndex: i
        });
        label(plines[i], fmtDist(S.pkm[i]) + " from stated place");
        pdots[i] = L.circleMarker([S.plat[i], S.plon[i]], {
          renderer: canvas, radius: 4, color: D.statedColor, weight: 2, fill: false,
          interactive: false, gsKind: "stated-place"
        });
      }
    }
    mark("lines");
    api.layers.precision = precision;
    api.layers.target = target;
    api.layers.stated = stated;

    /* ---- date selection: strikes of the date (or all), zones of the date ---- */
    var state = { all: D.dates.length > 1, idx: 0 };
    function refresh() {
      var zi = state.idx;
      zones.clearLayers();
      zoneLayers.forEach(function (z) {
        if (D.dates.length === 0 || z.gsZone.d.indexOf(zi) >= 0) zones.addLayer(z);
      });
      var per = verdicts.map(function () { return []; });
      var pc = [], tl = [], pl = [];
      for (var k = 0; k < n; k++) {
        if (!state.all && S.d[k] !== zi) continue;
        per[S.v[k]].push(markers[k]);
        if (circles[k]) pc.push(circles[k]);
        if (tlines[k]) tl.push(tlines[k]);
        if (plines[k]) { pl.push(plines[k]); pl.push(pdots[k]); }
      }
      if (cluster) {
        var on = [];
        groups.forEach(function (g, j) { if (map.hasLayer(g)) on = on.concat(per[j]); });
        clusterGroup.clearLayers();
        clusterGroup.addLayers(on);
      } else {
        groups.forEach(function (g, j) {
          g.clearLayers();
          per[j].forEach(function (mk) { g.addLayer(mk); });
        });
      }
      [[precision, pc], [target, tl], [stated, pl]].forEach(function (gl) {
        gl[0].clearLayers();
        gl[1].forEach(function (l) { gl[0].addLayer(l); });
      });
      zones.eachLayer(function (z) { z.bringToBack(); });
      strikesToFront();
      if (dateLabel) {
        dateLabel.textContent = D.dates.length
          ? (state.all ? "All dates; zones as of " : "Strikes and zones of ") + D.dates[zi]
          : "Undated";
      }
    }
    /* Lines start at the strike: keep the markers above them so a click opens the popup. */
    function strikesToFront() {
      map.eachLayer(function (l) { if (l.options && l.options.gsKind === "strike") l.bringToFront(); });
    }
    map.on("overlayadd", strikesToFront);
    api.setDate = function (k, all) {
      state.idx = Math.max(0, Math.min(D.dates.length - 1, k));
      state.all = !!all;
      if (slider) { slider.value = String(state.idx); allBox.checked = state.all; }
      refresh();
    };

    var dateLabel = null, slider = null, allBox = null;
    if (D.dates.length > 1) {
      var TimeControl = L.Control.extend({
        options: { position: "bottomleft" },
        onAdd: function () {
          var box = el("div", "gs-time leaflet-bar");
          dateLabel = el("div", "gs-time-label");
          slider = el("input");
          slider.type = "range"; slider.min = "0"; slider.max = String(D.dates.length - 1);
          slider.step = "1"; slider.value = "0";
          slider.setAttribute("aria-label", "Date");
          var lab = el("label", "gs-time-all");
          allBox = el("input"); allBox.type = "checkbox"; allBox.checked = state.all;
          lab.appendChild(allBox); lab.appendChild(document.createTextNode(" show strikes of all dates"));
          box.appendChild(dateLabel); box.appendChild(slider); box.appendChild(lab);
          L.DomEvent.disableClickPropagation(box);
          L.DomEvent.disableScrollPropagation(box);
          L.DomEvent.on(slider, "input", function () { api.setDate(+slider.value, false); });
          L.DomEvent.on(allBox, "change", function () { api.setDate(state.idx, allBox.checked); });
          return box;
        }
      });
      new TimeControl().addTo(map);
    }

    /* ---- layers on by default; above the cluster threshold lines/circles start hidden ---- */
    groups.forEach(function (g) { g.addTo(map); });
    if (cluster) {
      clusterGroup.addTo(map);
      api.layers.cluster = clusterGroup;
      map.on("overlayadd overlayremove", function (e) {
        if (groups.indexOf(e.layer) >= 0) refresh();
      });
    }
    if (!D.cluster) { precision.addTo(map); target.addTo(map); stated.addTo(map); }
    /* ---- view ---- */
    var b = L.latLngBounds([]);
    for (i = 0; i < n; i++) {
      b.extend([S.lat[i], S.lon[i]]);
      if (tlines[i]) b.extend([S.tlat[i], S.tlon[i]]);
      if (plines[i]) b.extend([S.plat[i], S.plon[i]]);
    }
    if (!b.isValid()) zones.eachLayer(function (z) { b.extend(z.getBounds()); });
    if (b.isValid()) map.fitBounds(b.pad(0.15), { maxZoom: 11, animate: false });

    mark("before-refresh");
    refresh();
    mark("refresh");

    var overlays = {};
    overlays["Control zones"] = zones;
    verdicts.forEach(function (v, k) { overlays[v.label + " (" + v.count + ")"] = groups[k]; });
    overlays["Distance to claimed target"] = target;
    overlays["Distance from stated place"] = stated;
    overlays["Location precision"] = precision;
    /* Layer names are fixed strings from geostrike.style plus counts: no user data. */
    L.control.layers(bases, overlays, { collapsed: D.collapseLayers, position: "topright" }).addTo(map);
    L.control.scale({ metric: true, imperial: true }).addTo(map);

    /* ---- legend and caption: escaped HTML written by Python, moved into controls ---- */
    [["legend", "topright"], ["caption", "bottomright"]].forEach(function (pc) {
      var node = document.getElementById(uid + "-" + pc[0]);
      if (!node) return;
      var C = L.Control.extend({
        options: { position: pc[1] },
        onAdd: function () { L.DomEvent.disableScrollPropagation(node); return node; }
      });
      new C().addTo(map);
    });

    /* ---- fullscreen ---- */
    var root = document.documentElement;
    if (root.requestFullscreen) {
      var FS = L.Control.extend({
        options: { position: "topleft" },
        onAdd: function () {
          var bar = el("div", "leaflet-bar gs-fullscreen");
          bar.appendChild(button(ICON_FULLSCREEN, "Full screen", function () {
            if (document.fullscreenElement) document.exitFullscreen();
            else root.requestFullscreen();
          }));
          return bar;
        }
      });
      new FS().addTo(map);
    }

    /* ---- measure tool: click points, read the geodesic length ---- */
    var measure = { on: false, pts: [], layer: L.featureGroup().addTo(map), line: null, total: 0 };
    var out = null, mbtn = null;
    measure.add = function (ll) {
      ll = L.latLng(ll);
      if (measure.pts.length) measure.total += geodesicMetres(measure.pts[measure.pts.length - 1], ll);
      measure.pts.push(ll);
      if (!measure.line) {
        measure.line = L.polyline([], { color: "#0d47a1", weight: 3, interactive: false, gsKind: "measure" }).addTo(measure.layer);
      }
      measure.line.addLatLng(ll);
      L.circleMarker(ll, { radius: 3, color: "#0d47a1", interactive: false, gsKind: "measure" }).addTo(measure.layer);
      show();
    };
    measure.clear = function () {
      measure.pts = []; measure.total = 0; measure.line = null; measure.layer.clearLayers(); show();
    };
    function show() {
      if (!out) return;
      var km = measure.total / 1000;
      out.textContent = measure.on || measure.pts.length
        ? (measure.pts.length < 2 ? "Click points on the map" : fmtDist(km))
        : "";
    }
    measure.toggle = function () {
      measure.on = !measure.on;
      if (!measure.on) measure.clear();
      mbtn.classList.toggle("gs-active", measure.on);
      map.getContainer().style.cursor = measure.on ? "crosshair" : "";
      show();
    };
    var MC = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = el("div", "leaflet-bar gs-measure");
        mbtn = button(ICON_RULER, "Measure a geodesic distance (click points; click the ruler again to stop)", measure.toggle);
        bar.appendChild(mbtn);
        out = el("div", "gs-measure-out");
        bar.appendChild(out);
        L.DomEvent.disableClickPropagation(bar);
        return bar;
      }
    });
    new MC().addTo(map);
    map.on("click", function (e) { if (measure.on) measure.add(e.latlng); });
    api.measure = measure;
    api.geodesicMetres = geodesicMetres;

    mark("setup");
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        mark("drawn");
        api.ready = true;
        document.documentElement.setAttribute("data-gs-ready", "1");
      });
    });
    return api;
  };
})();
