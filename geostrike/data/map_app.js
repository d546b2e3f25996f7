/* geostrike map app: draws checked strike claims on a Leaflet map.
 *
 * Written for geostrike (geostrike/render/maps.py inlines this file into every map). The data
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
      map.getContainer().style.background = D.waterColor;
      var outl = L.geoJSON(D.outlines, {
        renderer: baseCanvas, interactive: false, attribution: "Country outlines: Natural Earth",
        style: { color: "#8c8c8c", weight: 0.8, fillColor: D.landColor, fillOpacity: 1 }
      }).addTo(map);
      bases["Country outlines (Natural Earth)"] = outl;
      api.layers.outlines = outl;
    }
    /* rivers and lakes (Natural Earth) on the base canvas: under zones, strikes and labels */
    if (D.outlines && D.water) {
      map.getContainer().style.background = D.waterColor;
      var lakes = L.geoJSON(D.water.lakes, {
        renderer: baseCanvas, interactive: false, attribution: "Rivers and lakes: Natural Earth",
        style: { color: D.riverColor, weight: 0.8, fillColor: D.waterColor, fillOpacity: 1 }
      }).addTo(map);
      var rivers = L.geoJSON(D.water.rivers, {
        renderer: baseCanvas, interactive: false,
        style: { color: D.riverColor, weight: 1.3, opacity: 1, lineCap: "round", lineJoin: "round" }
      }).addTo(map);
      api.layers.lakes = lakes;
      api.layers.rivers = rivers;
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
    var lineText = new Array(n), statedText = new Array(n);
    function hover(line, text) {
      line.on("mouseover", function (e) { hoverTip.setContent(el("span", null, text)).setLatLng(e.latlng).openOn(map); });
      line.on("mouseout", function () { map.closeTooltip(hoverTip); });
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
        lineText[i] = fmtDist(S.tkm[i]) + " to " + str(S.tname[i]);
        hover(tlines[i], lineText[i]);
      }
      if (S.plat[i] !== null && S.pkm[i] !== null && S.pkm[i] > 0) {
        plines[i] = L.polyline([[S.plat[i], S.plon[i]], [S.lat[i], S.lon[i]]], {
          renderer: canvas, color: D.statedColor, weight: 2, dashArray: "2,5", gsKind: "stated-line", gsIndex: i
        });
        statedText[i] = fmtDist(S.pkm[i]) + " from stated place";
        hover(plines[i], statedText[i]);
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

    /* ---- what is drawn: the strikes of the selected dates that pass the filters ---- */
    /* D.dates are the slider's steps (claim dates and zone-window changes). The map opens
       on the first date that has strikes, with the zones valid on that date. In range mode
       the strikes of every date in [lo, hi] are drawn over the zones of hi, the label
       says whether the zones changed within the range, and strikes of dates with other
       zones are drawn hollow (see setHollow). */
    var nSteps = D.dates.length;
    var stepHas = D.dates.map(function () { return 0; });
    for (i = 0; i < n; i++) if (S.d[i] >= 0) stepHas[S.d[i]]++;
    var firstStep = 0;
    while (firstStep < nSteps - 1 && !stepHas[firstStep]) firstStep++;
    var state = { lo: firstStep, hi: firstStep, range: false };
    var pass = new Uint8Array(n);
    for (i = 0; i < n; i++) pass[i] = 1;
    var drawn = [];
    var onRefresh = [];
    function zoneOn(z, k) { return nSteps === 0 || (z.gsZone.d[0] <= k && k <= z.gsZone.d[1]); }
    function zonesChangeWithin(lo, hi) {
      if (lo === hi) return false;
      for (var q = 0; q < zoneLayers.length; q++) {
        if (zoneOn(zoneLayers[q], lo) !== zoneOn(zoneLayers[q], hi)) return true;
        var d = zoneLayers[q].gsZone.d;
        if ((d[0] > lo && d[0] <= hi) || (d[1] >= lo && d[1] < hi)) return true;
      }
      return false;
    }
    /* In range mode the zones of the range's last date are drawn. A strike of a date on
       which other zones were valid is drawn hollow (white fill, ring in its verdict's
       colour): its verdict came from the zones of its own date, not from those shown. The
       figure does the same. */
    var hollow = new Uint8Array(n);
    function sameZones(k, zi) {
      for (var q = 0; q < zoneLayers.length; q++) if (zoneOn(zoneLayers[q], k) !== zoneOn(zoneLayers[q], zi)) return false;
      return true;
    }
    function setHollow(k, h) {
      if (hollow[k] === h) return;
      hollow[k] = h;
      var c = verdicts[S.v[k]].color;
      markers[k].setStyle(h ? { color: c, weight: 3, fillColor: "#ffffff" } : { color: "#ffffff", weight: 1.5, fillColor: c });
    }
    function refresh() {
      var zi = state.hi;
      var same = {}, nHollow = 0;
      zones.clearLayers();
      zoneLayers.forEach(function (z) { if (zoneOn(z, zi)) zones.addLayer(z); });
      var per = verdicts.map(function () { return []; });
      var pc = [], tl = [], pl = [];
      drawn = [];
      for (var k = 0; k < n; k++) {
        if (nSteps && (S.d[k] < state.lo || S.d[k] > state.hi)) continue;
        if (!pass[k]) continue;
        drawn.push(k);
        var h = 0;
        if (state.range && S.d[k] >= 0 && S.d[k] !== zi) {
          if (same[S.d[k]] === undefined) same[S.d[k]] = sameZones(S.d[k], zi);
          h = same[S.d[k]] ? 0 : 1;
        }
        setHollow(k, h);
        nHollow += h;
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
      /* legend counts follow the filters and the dates */
      var cnt = verdicts.map(function () { return 0; });
      drawn.forEach(function (k) { cnt[S.v[k]]++; });
      verdicts.forEach(function (v, j) {
        var node = document.querySelector('#' + uid + '-legend .gs-count[data-v="' + v.key + '"]');
        if (node) node.textContent = String(cnt[j]);
      });
      api.counts = cnt;
      api.hollow = nHollow;
      if (dateLabel) {
        var t;
        if (!state.range) {
          t = "Strikes and zones of " + D.dates[zi] + (stepHas[zi] ? "" : " (no strikes on this date)");
        } else {
          t = "Strikes of " + D.dates[state.lo] + " to " + D.dates[zi] + "; zones of " + D.dates[zi] +
            (zonesChangeWithin(state.lo, zi)
              ? " (zones changed within this range: each verdict used the zones of its strike's own date" +
                (nHollow ? "; " + nHollow + " strike(s) drawn hollow are of dates with other zones than those shown)" : ")")
              : " (zones unchanged over this range)");
        }
        dateLabel.textContent = t;
      }
      onRefresh.forEach(function (f) { f(); });
    }
    /* Lines start at the strike: keep the markers above them so a click opens the popup. */
    function strikesToFront() {
      map.eachLayer(function (l) { if (l.options && l.options.gsKind === "strike") l.bringToFront(); });
    }
    map.on("overlayadd", strikesToFront);
    function clampStep(k) { return Math.max(0, Math.min(nSteps - 1, k)); }
    /* setDate(k, all): one date; all=true draws every date (range mode over all steps). */
    api.setDate = function (k, all) {
      if (all) api.setRange(0, nSteps - 1);
      else { state.lo = state.hi = clampStep(k); state.range = false; syncTime(); refresh(); }
    };
    api.setRange = function (a, b) {
      state.lo = clampStep(Math.min(a, b)); state.hi = clampStep(Math.max(a, b));
      state.range = true; syncTime(); refresh();
    };
    api.state = state;

    var dateLabel = null, slider = null, slider2 = null, rangeBox = null, playBtn = null, timer = null;
    function syncTime() {
      if (!slider) return;
      slider.value = String(state.range ? state.lo : state.hi);
      slider2.value = String(state.hi);
      slider2.style.display = state.range ? "" : "none";
      rangeBox.checked = state.range;
    }
    api.play = function () {
      if (timer) { clearInterval(timer); timer = null; playBtn.textContent = "\u25B6"; return; }
      playBtn.textContent = "\u23F8";
      var k = state.range ? state.lo : state.hi;
      if (k >= nSteps - 1) k = -1;
      timer = setInterval(function () {
        k++;
        if (k >= nSteps) { api.play(); return; }
        api.setDate(k, false);
      }, 900);
    };
    if (nSteps > 1) {
      var TimeControl = L.Control.extend({
        options: { position: "bottomleft" },
        onAdd: function () {
          var box = el("div", "gs-time leaflet-bar");
          dateLabel = el("div", "gs-time-label");
          var row = el("div", "gs-time-row");
          playBtn = el("button", "gs-play", "\u25B6");
          playBtn.type = "button"; playBtn.title = "Play: step through the dates";
          slider = el("input");
          slider.type = "range"; slider.min = "0"; slider.max = String(nSteps - 1);
          slider.step = "1"; slider.value = String(state.hi);
          slider.setAttribute("aria-label", "Date");
          slider2 = el("input", "gs-time-to");
          slider2.type = "range"; slider2.min = "0"; slider2.max = String(nSteps - 1);
          slider2.step = "1"; slider2.value = String(state.hi); slider2.style.display = "none";
          slider2.setAttribute("aria-label", "Last date of the range");
          var sl = el("div", "gs-time-sliders");
          sl.appendChild(slider); sl.appendChild(slider2);
          row.appendChild(playBtn); row.appendChild(sl);
          var lab = el("label", "gs-time-all");
          rangeBox = el("input"); rangeBox.type = "checkbox"; rangeBox.checked = false;
          lab.appendChild(rangeBox);
          lab.appendChild(document.createTextNode(" date range (second slider: last date)"));
          box.appendChild(dateLabel); box.appendChild(row); box.appendChild(lab);
          L.DomEvent.disableClickPropagation(box);
          L.DomEvent.disableScrollPropagation(box);
          L.DomEvent.on(slider, "input", function () {
            if (state.range) api.setRange(+slider.value, Math.max(+slider.value, +slider2.value));
            else api.setDate(+slider.value, false);
          });
          L.DomEvent.on(slider2, "input", function () { api.setRange(+slider.value, +slider2.value); });
          L.DomEvent.on(rangeBox, "change", function () {
            if (rangeBox.checked) api.setRange(state.lo, nSteps - 1);
            else api.setDate(state.lo, false);
          });
          L.DomEvent.on(playBtn, "click", function () { api.play(); });
          return box;
        }
      });
      new TimeControl().addTo(map);
    }

    /* ---- claims panel: filters, search, a sortable table linked to the map ---- */
    var FILTERS = [["verdict", "Verdict"], ["attacker", "Attacker"], ["claimant", "Claimant"],
      ["claimed_target", "Claimed target"], ["_controller_label", "Held by"], ["src", "Source"]]
      .filter(function (f) { return f[0] === "verdict" || f[0] === "src" || S.f[f[0]]; });
    var OPTION_LIMIT = 500, ROW_LIMIT = 300;
    function codeOf(key, k) {
      if (key === "verdict") return S.v[k];
      if (key === "src") return S.src[k];
      return S.f[key][k];
    }
    function optionText(key, code) {
      if (key === "verdict") return verdicts[code].label;
      return str(code) || "(none)";
    }
    var filt = { sel: {}, q: "" };
    var hay = null;
    function haystack(k) {
      if (!hay) hay = new Array(n);
      if (hay[k] === undefined) {
        var parts = [str(S.id[k]), str(S.reason[k]), str(S.src[k]), verdicts[S.v[k]].label];
        D.fields.forEach(function (f) { parts.push(str(S.f[f[1]][k])); });
        hay[k] = parts.join("\n").toLowerCase();
      }
      return hay[k];
    }
    function applyFilters() {
      var q = filt.q.trim().toLowerCase();
      var keys = Object.keys(filt.sel);
      for (var k = 0; k < n; k++) {
        var ok = 1;
        for (var j = 0; j < keys.length && ok; j++) if (codeOf(keys[j], k) !== filt.sel[keys[j]]) ok = 0;
        if (ok && q && haystack(k).indexOf(q) < 0) ok = 0;
        pass[k] = ok;
      }
      refresh();
    }
    var COLS = [
      ["Date", function (k) { return S.f.date ? str(S.f.date[k]) : ""; }],
      ["Claim", function (k) { return str(S.id[k]); }],
      ["Place", function (k) { return S.f.place ? str(S.f.place[k]) : str(S.f._located_at[k]); }],
      ["Verdict", function (k) { return verdicts[S.v[k]].key; }],
      ["Held by", function (k) { return str(S.f._controller_label[k]); }],
      ["To target", function (k) { return S.tkm[k]; }]
    ];
    var sortBy = { col: 0, dir: 1 };
    var panel = { body: null, tbody: null, info: null, rows: {}, selected: -1 };
    function sortedDrawn() {
      var f = COLS[sortBy.col][1], d = sortBy.dir;
      return drawn.slice().sort(function (a, b) {
        var x = f(a), y = f(b);
        if (x === y) return a - b;
        if (x === null || x === "") return 1;
        if (y === null || y === "") return -1;
        return (x < y ? -1 : 1) * d;
      });
    }
    function renderTable() {
      if (!panel.tbody) return;
      var rows = sortedDrawn();
      var frag = document.createDocumentFragment();
      panel.rows = {};
      rows.slice(0, ROW_LIMIT).forEach(function (k) {
        var tr = el("tr");
        tr.setAttribute("data-i", String(k));
        COLS.forEach(function (c, j) {
          var v = c[1](k);
          var td = el("td", null, j === 5 ? (v === null ? "" : (v > 0 ? Math.round(v) + " km" : "0")) : v);
          if (j === 3) { var dot = el("span", "gs-dot"); dot.style.background = verdicts[S.v[k]].color; td.insertBefore(dot, td.firstChild); }
          tr.appendChild(td);
        });
        if (k === panel.selected) tr.className = "gs-selected";
        panel.rows[k] = tr;
        frag.appendChild(tr);
      });
      panel.tbody.replaceChildren(frag);
      panel.info.textContent = rows.length + " of " + n + " placed claims shown on the map" +
        (rows.length > ROW_LIMIT ? "; first " + ROW_LIMIT + " listed (search or filter to narrow)" : "");
    }
    onRefresh.push(renderTable);
    function showStrike(k) {
      var mk = markers[k];
      var ll = mk.getLatLng();
      var open = function () { mk.fire("click", { latlng: ll }, true); };
      if (cluster) clusterGroup.zoomToShowLayer(mk, open);
      else { map.setView(ll, Math.max(map.getZoom(), 9), { animate: false }); open(); }
    }
    function select(k) {
      if (panel.rows[panel.selected]) panel.rows[panel.selected].className = "";
      panel.selected = k;
      var tr = panel.rows[k];
      if (tr) { tr.className = "gs-selected"; if (tr.scrollIntoView) tr.scrollIntoView({ block: "nearest" }); }
    }
    map.on("popupopen", function (e) {
      var src = e.popup._source;
      if (src && src.options && src.options.gsKind === "strike") select(src.options.gsIndex);
    });
    var Panel = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var box = el("div", "gs-panel leaflet-bar");
        var toggle = el("a", "gs-panel-toggle", "Claims table and filters (" + (n + D.unplaced.length) + ")");
        toggle.href = "#"; toggle.setAttribute("role", "button");
        var body = el("div", "gs-panel-body");
        body.style.display = "none";
        var search = el("input", "gs-search");
        search.type = "search"; search.placeholder = "Search claims (id, place, actor, source, reason)";
        search.setAttribute("aria-label", "Search claims");
        body.appendChild(search);
        var fbox = el("div", "gs-filters");
        FILTERS.forEach(function (f) {
          var key = f[0];
          var freq = {};
          for (var k = 0; k < n; k++) { var c = codeOf(key, k); freq[c] = (freq[c] || 0) + 1; }
          var codes = Object.keys(freq).map(Number);
          codes.sort(function (a, b) { return freq[b] - freq[a]; });
          codes = codes.slice(0, OPTION_LIMIT);
          codes.sort(function (a, b) { return optionText(key, a) < optionText(key, b) ? -1 : 1; });
          var lab = el("label", "gs-filter");
          lab.appendChild(el("span", null, f[1]));
          var sel = el("select");
          sel.setAttribute("data-key", key);
          var all = el("option", null, "all"); all.value = ""; sel.appendChild(all);
          codes.forEach(function (c) {
            var o = el("option", null, optionText(key, c) + " (" + freq[c] + ")");
            o.value = String(c);
            sel.appendChild(o);
          });
          L.DomEvent.on(sel, "change", function () {
            if (sel.value === "") delete filt.sel[key]; else filt.sel[key] = +sel.value;
            applyFilters();
          });
          lab.appendChild(sel);
          fbox.appendChild(lab);
        });
        body.appendChild(fbox);
        panel.info = el("div", "gs-table-info");
        body.appendChild(panel.info);
        var wrap = el("div", "gs-table-wrap");
        var table = el("table", "gs-table");
        var thead = el("thead"), hr = el("tr");
        COLS.forEach(function (c, j) {
          var th = el("th", null, c[0]);
          th.title = "Sort by " + c[0].toLowerCase();
          L.DomEvent.on(th, "click", function () {
            sortBy.dir = sortBy.col === j ? -sortBy.dir : 1;
            sortBy.col = j;
            Array.prototype.forEach.call(hr.children, function (h, q) {
              h.className = q === j ? (sortBy.dir > 0 ? "gs-sort-up" : "gs-sort-down") : "";
            });
            renderTable();
          });
          hr.appendChild(th);
        });
        hr.firstChild.className = "gs-sort-up";
        thead.appendChild(hr); table.appendChild(thead);
        panel.tbody = el("tbody");
        table.appendChild(panel.tbody);
        wrap.appendChild(table);
        body.appendChild(wrap);
        L.DomEvent.on(panel.tbody, "click", function (e) {
          var tr = e.target.closest ? e.target.closest("tr") : null;
          if (!tr) return;
          var k = +tr.getAttribute("data-i");
          select(k);
          showStrike(k);
        });
        if (D.unplaced.length) {
          var det = el("details", "gs-unplaced");
          det.appendChild(el("summary", null, D.unplaced.length + " claim(s) could not be placed"));
          var ul = el("ul");
          D.unplaced.forEach(function (u) {
            var li = el("li");
            li.appendChild(el("b", null, u[0] || "(no id)"));
            li.appendChild(document.createTextNode(
              (u[1] ? " \u2014 " + u[1] : "") + (u[2] ? " [" + u[2] + "]" : "") + (u[3] ? ": " + u[3] : "")));
            ul.appendChild(li);
          });
          det.appendChild(ul);
          body.appendChild(det);
        }
        var searchTimer = null;
        L.DomEvent.on(search, "input", function () {
          clearTimeout(searchTimer);
          searchTimer = setTimeout(function () { filt.q = search.value; applyFilters(); }, 150);
        });
        L.DomEvent.on(toggle, "click", function (e) {
          L.DomEvent.stop(e);
          var open = body.style.display === "none";
          body.style.display = open ? "" : "none";
          box.classList.toggle("gs-open", open);
          if (open) { renderTable(); fitPanel(); }
          layoutLabels();
        });
        box.appendChild(toggle);
        box.appendChild(body);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        panel.body = body; panel.toggle = toggle; panel.search = search;
        return box;
      }
    });
    var panelCtl = new Panel(); /* added below the map tools (see the measure tool) */
    /* The open panel ends above the bottom-left controls (time slider, scale bar), so it
       never covers them whatever the window's height (it scrolls instead). */
    function fitPanel() {
      var body = panel.body;
      if (!body || body.style.display === "none") return;
      var corner = map._controlCorners && map._controlCorners.bottomleft;
      var limit = corner && corner.children.length
        ? corner.getBoundingClientRect().top
        : map.getContainer().getBoundingClientRect().bottom;
      var avail = limit - body.getBoundingClientRect().top - 26; /* padding, border, a gap */
      body.style.maxHeight = Math.max(0, Math.floor(avail)) + "px"; /* tiny windows: it scrolls in what is left */
    }
    map.on("resize", fitPanel);
    onRefresh.push(fitPanel); /* the time control's label grows in range mode */
    api.fitPanel = fitPanel;
    api.panel = {
      open: function () { if (panel.body.style.display === "none") panel.toggle.click(); },
      filter: function (key, text) {
        var sel = document.querySelector('.gs-filters select[data-key="' + key + '"]');
        var opt = Array.prototype.find.call(sel.options, function (o) { return o.textContent.indexOf(text) === 0; });
        sel.value = opt ? opt.value : "";
        sel.dispatchEvent(new Event("change"));
      },
      search: function (q) { panel.search.value = q; filt.q = q; applyFilters(); },
      rows: function () { return Array.prototype.map.call(panel.tbody.children, function (tr) { return +tr.getAttribute("data-i"); }); },
      drawn: function () { return drawn.slice(); },
      show: function (k) { select(k); showStrike(k); }
    };

    /* ---- labels that never hide data ---- */
    /* Distance labels and town names are DOM elements in a pane above the strikes' canvas
       (below cluster icons and popups). Each time the view or the selection changes they
       are laid out in screen space: strikes, stated-place dots and the map's controls are
       obstacles; a distance label goes beside its line (offset along the normal so that it
       never crosses its own line) at the first of a few positions that collides with nothing;
       town names follow by population. A label that fits nowhere is left out (the line
       keeps its hover label); more towns fit as one zooms in. */
    var labelPane = map.createPane("gsLabels");
    labelPane.style.zIndex = 450;
    labelPane.style.pointerEvents = "none";
    labelPane.classList.add("leaflet-zoom-hide");
    var P = D.places;
    var placeText = [], placeDot = [];
    if (P) {
      for (i = 0; i < P.name.length; i++) {
        placeText.push(el("div", "gs-label gs-place gs-r" + P.r[i], P.name[i]));
        placeDot.push(el("div", "gs-place-dot"));
      }
    }
    var distNode = {};
    function shortKm(km) { return km < 10 ? km.toFixed(1) + " km" : Math.round(km) + " km"; }
    function distLabelNode(key, text) {
      if (!distNode[key]) distNode[key] = el("div", "gs-label gs-dist-label", text);
      return distNode[key];
    }
    function measureNodes(nodes) {
      var todo = nodes.filter(function (x) { return x._w === undefined; });
      if (!todo.length) return;
      var frag = document.createDocumentFragment();
      todo.forEach(function (x) { x.style.left = "0px"; x.style.top = "0px"; x.style.visibility = "hidden"; frag.appendChild(x); });
      labelPane.appendChild(frag);
      todo.forEach(function (x) { x._w = x.offsetWidth; x._h = x.offsetHeight; });
      todo.forEach(function (x) { x.style.visibility = ""; labelPane.removeChild(x); });
    }
    var CELL = 64;
    function Grid() { this.m = {}; }
    Grid.prototype.cells = function (b, f) {
      for (var gx = Math.floor(b[0] / CELL); gx <= Math.floor(b[2] / CELL); gx++)
        for (var gy = Math.floor(b[1] / CELL); gy <= Math.floor(b[3] / CELL); gy++) f(gx + "," + gy);
    };
    Grid.prototype.add = function (b) {
      var m = this.m;
      this.cells(b, function (c) { (m[c] || (m[c] = [])).push(b); });
    };
    Grid.prototype.hit = function (b) {
      var m = this.m, hit = false;
      this.cells(b, function (c) {
        if (hit || !m[c]) return;
        for (var q = 0; q < m[c].length; q++) {
          var o = m[c][q];
          if (b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]) { hit = true; return; }
        }
      });
      return hit;
    };
    /* Does segment p-q cross box b (Liang-Barsky clipping)? */
    function segHits(p, q, b) {
      var t0 = 0, t1 = 1, dx = q.x - p.x, dy = q.y - p.y;
      var P4 = [-dx, dx, -dy, dy], Q4 = [p.x - b[0], b[2] - p.x, p.y - b[1], b[3] - p.y];
      for (var j = 0; j < 4; j++) {
        if (P4[j] === 0) { if (Q4[j] < 0) return false; continue; }
        var r = Q4[j] / P4[j];
        if (P4[j] < 0) { if (r > t1) return false; if (r > t0) t0 = r; }
        else { if (r < t0) return false; if (r < t1) t1 = r; }
      }
      return true;
    }
    function layoutLabels() {
      var size = map.getSize();
      var grid = new Grid();
      var placed = [], dropped = 0, nPlaces = 0;
      var R = 8; /* strike marker radius 6 + its white edge + a margin */
      var crect = map.getContainer().getBoundingClientRect();
      /* the map's own controls, title and panel: a label under them would be hidden */
      Array.prototype.forEach.call(
        document.querySelectorAll(".leaflet-control, .gs-title h1"),
        function (c) {
          var r = c.getBoundingClientRect();
          if (r.width && r.height) grid.add([r.left - crect.left - 2, r.top - crect.top - 2, r.right - crect.left + 2, r.bottom - crect.top + 2]);
        });
      var segs = [];
      var showT = map.hasLayer(target), showP = map.hasLayer(stated);
      drawn.forEach(function (k) {
        var mk = markers[k];
        if (!mk._map) return;
        var c = map.latLngToContainerPoint(mk.getLatLng());
        if (c.x < -R || c.y < -R || c.x > size.x + R || c.y > size.y + R) return;
        grid.add([c.x - R, c.y - R, c.x + R, c.y + R]);
        if (showP && pdots[k]) {
          var s = map.latLngToContainerPoint(pdots[k].getLatLng());
          grid.add([s.x - 6, s.y - 6, s.x + 6, s.y + 6]);
        }
      });
      var want = [];
      drawn.forEach(function (k) {
        var a = map.latLngToContainerPoint(markers[k].getLatLng());
        if (showT && tlines[k]) {
          var tb = map.latLngToContainerPoint([S.tlat[k], S.tlon[k]]);
          segs.push([a, tb]);
          if (D.labels) want.push([distLabelNode("t" + k, lineText[k]), a, tb, "ts" + k, shortKm(S.tkm[k])]);
        }
        if (showP && plines[k]) {
          var pb = map.latLngToContainerPoint([S.plat[k], S.plon[k]]);
          segs.push([pb, a]);
          if (D.labels) want.push([distLabelNode("p" + k, statedText[k]), pb, a, "ps" + k, shortKm(S.pkm[k])]);
        }
      });
      var checkSegs = segs.length <= 400;
      function free(b) {
        if (b[0] < 0 || b[1] < 0 || b[2] > size.x || b[3] > size.y) return false;
        if (grid.hit(b)) return false;
        if (checkSegs) for (var q = 0; q < segs.length; q++) if (segHits(segs[q][0], segs[q][1], b)) return false;
        return true;
      }
      function tryPlace(node, a, b) {
        var dx = b.x - a.x, dy = b.y - a.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
        var nx = -dy / len, ny = dx / len;
        /* offset along the normal by the box's half-extent: the box never crosses its line */
        var off = Math.abs(nx) * node._w / 2 + Math.abs(ny) * node._h / 2 + 3;
        var ts = [0.5, 0.35, 0.65, 0.2, 0.8];
        for (var j = 0; j < ts.length * 2; j++) {
          var t = ts[j >> 1], side = j & 1 ? -1 : 1;
          var cx = a.x + dx * t + nx * off * side, cy = a.y + dy * t + ny * off * side;
          var box = [cx - node._w / 2, cy - node._h / 2, cx + node._w / 2, cy + node._h / 2];
          if (free(box)) { grid.add(box); placed.push([node, box]); return true; }
        }
        return false;
      }
      /* full labels first; a label that fits nowhere is collapsed to its distance in km
         (the full text stays in its tooltip and the line's hover label), else left out */
      measureNodes(want.map(function (w) { return w[0]; }));
      var retry = want.filter(function (w) { return !tryPlace(w[0], w[1], w[2]); });
      var shortNodes = retry.map(function (w) {
        var node = distLabelNode(w[3], w[4]);
        node.classList.add("gs-short");
        node.title = w[0].textContent;
        return node;
      });
      measureNodes(shortNodes);
      var nShort = 0;
      retry.forEach(function (w, q) {
        if (tryPlace(shortNodes[q], w[1], w[2])) nShort++;
        else dropped++;
      });
      if (P) {
        var cand = [];
        for (var j = 0; j < P.name.length; j++) {
          var c = map.latLngToContainerPoint([P.lat[j], P.lon[j]]);
          if (c.x >= 0 && c.y >= 0 && c.x <= size.x && c.y <= size.y) cand.push([j, c]);
        }
        measureNodes(cand.map(function (x) { return placeText[x[0]]; }));
        /* more towns as one zooms in: a population rank per zoom, then collisions decide */
        var z = map.getZoom();
        var minPop = z <= 4 ? 1e6 : z <= 5 ? 3e5 : z <= 6 ? 1e5 : z <= 7 ? 25e3 : z <= 8 ? 8e3 : 0;
        var M = 4; /* breathing space around a town's name */
        cand.forEach(function (x) {
          var j = x[0], c = x[1], node = placeText[j], w = node._w, h = node._h;
          if (P.pop[j] < minPop) return;
          var dot = [c.x - 3, c.y - 3, c.x + 3, c.y + 3];
          if (grid.hit(dot)) return;
          var opts = [[c.x + 5, c.y - h / 2], [c.x - 5 - w, c.y - h / 2], [c.x - w / 2, c.y - 4 - h], [c.x - w / 2, c.y + 4]];
          for (var q = 0; q < opts.length; q++) {
            var box = [opts[q][0] - M, opts[q][1] - M, opts[q][0] + w + M, opts[q][1] + h + M];
            if (free(box)) {
              grid.add(dot); grid.add(box);
              placed.push([node, [opts[q][0], opts[q][1], opts[q][0] + w, opts[q][1] + h]]);
              placed.push([placeDot[j], dot]);
              nPlaces++;
              return;
            }
          }
        });
      }
      var frag = document.createDocumentFragment();
      placed.forEach(function (pb) {
        var lp = map.containerPointToLayerPoint([pb[1][0], pb[1][1]]);
        pb[0].style.left = lp.x + "px";
        pb[0].style.top = lp.y + "px";
        frag.appendChild(pb[0]);
      });
      labelPane.replaceChildren(frag);
      api.labels = { placed: placed.length - 2 * nPlaces, collapsed: nShort, dropped: dropped, places: nPlaces };
    }
    onRefresh.push(layoutLabels);
    map.on("zoomend moveend overlayadd overlayremove resize", layoutLabels);
    api.layoutLabels = layoutLabels;

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
    /* Layer names are fixed strings from geostrike.render.style plus counts: no user data. */
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
    panelCtl.addTo(map);
    map.on("click", function (e) { if (measure.on) measure.add(e.latlng); });
    api.measure = measure;
    api.geodesicMetres = geodesicMetres;

    mark("setup");
    layoutLabels(); /* again, now that every control is on the map */
    mark("labels");
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
