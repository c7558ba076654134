// The map page: an offline basemap (Natural Earth's countries from
// world-atlas, drawn with topojson-client), an online tile layer only when
// the server names one (data-tiles), the incidents that the filter selects
// (read from GET /api/v1/cases with the filter the list beside the map
// shows, data-query), clustered and coloured by standing, and the
// crossings from the list of crossings. Every text shown comes from the
// page or the API and is set as text, never as HTML.
(function () {
  'use strict';
  var el = document.getElementById('map');
  if (!el || !window.L) { return; }
  var map = L.map(el, { keyboard: true, zoomSnap: 0.25, minZoom: 2, maxZoom: 14 });
  map.fitBounds(JSON.parse(el.dataset.bounds));
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution('Natural Earth');
  map.createPane('basemap').classList.add('basemap-pane');
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18, crossOrigin: false }).addTo(map);
  }
  fetch(el.dataset.basemap).then(function (r) {
    if (!r.ok) { throw new Error('basemap: ' + r.status); }
    return r.json();
  }).then(function (world) {
    L.geoJSON(topojson.feature(world, world.objects.countries), {
      pane: 'basemap', interactive: false,
      style: { className: 'country', color: '#8a8376', weight: 1, fillColor: '#f3efe6', fillOpacity: el.dataset.tiles ? 0 : 1 }
    }).addTo(map);
  }).catch(function (e) { console.warn(String(e)); });

  // Crossings: from the list beside the map.
  var crossings = L.layerGroup().addTo(map);
  document.querySelectorAll('#map-crossings li[data-lat]').forEach(function (li) {
    var link = li.querySelector('a');
    var icon = L.divIcon({ className: 'crossing-marker x-' + li.dataset.state, iconSize: [14, 14] });
    var m = L.marker([+li.dataset.lat, +li.dataset.lon], { icon: icon, title: link.textContent, alt: link.textContent, keyboard: true });
    m.bindPopup(function () { return popup(link.textContent, link.getAttribute('href'), li.textContent); });
    m.addTo(crossings);
  });

  function popup(title, href, text) {
    var div = document.createElement('div');
    var a = document.createElement('a');
    a.href = href;
    a.textContent = title;
    div.appendChild(a);
    if (text) {
      var p = document.createElement('p');
      p.textContent = text;
      div.appendChild(p);
    }
    return div;
  }

  var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
  map.addLayer(cluster);
  var caseLabel = el.dataset.caseLabel || 'Case';
  var loading = 0;
  var maxPages = 8; // 4,000 incidents at most; the list pages through the rest

  function place(c) {
    if (typeof c.lat === 'number' && typeof c.lon === 'number') { return [c.lat, c.lon]; }
    if (c.place && typeof c.place.lat === 'number') { return [c.place.lat, c.place.lon]; }
    return null;
  }

  function load(query) {
    var run = ++loading;
    cluster.clearLayers();
    el.dataset.loaded = '';
    el.dataset.loadedQuery = '';
    var count = 0;
    function page(before, n) {
      var url = '/api/v1/cases?' + query + '&limit=500' + (before ? '&before=' + before : '');
      return fetch(url, { headers: { Accept: 'application/json' } }).then(function (r) {
        if (!r.ok) { throw new Error('cases: ' + r.status); }
        return r.json();
      }).then(function (body) {
        if (run !== loading) { return; }
        var markers = [];
        body.items.forEach(function (c) {
          var ll = place(c);
          if (!ll) { return; }
          var icon = L.divIcon({ className: 'incident-marker m-' + c.standing, iconSize: [12, 12] });
          var title = caseLabel + ' ' + c.id;
          var m = L.marker(ll, { icon: icon, title: title, alt: title, keyboard: true });
          m.caseID = c.id;
          m.bindPopup(function () { return popup(title, '/cases/' + c.id, (c.place_name ? c.place_name + ': ' : '') + c.summary); });
          markers.push(m);
        });
        count += markers.length;
        cluster.addLayers(markers);
        if (body.next && n + 1 < maxPages) { return page(body.next, n + 1); }
        el.dataset.loaded = String(count);
        el.dataset.loadedQuery = query;
        el.dispatchEvent(new CustomEvent('sulh:markers', { detail: count }));
      });
    }
    page(0, 0).catch(function (e) { console.warn(String(e)); });
  }

  // The markers the map shows are the cases that the list's filter
  // selects: read them now, and again whenever htmx swaps the list.
  function fromList() {
    var list = document.getElementById('incidents');
    if (list) { load(list.dataset.query); }
  }
  fromList();
  document.body.addEventListener('htmx:afterSettle', function (e) {
    fromList();
  });
  // For tests and readers: which cases the map shows.
  window.sulhMap = {
    map: map,
    cases: function () {
      var ids = [];
      cluster.eachLayer(function (m) { ids.push(m.caseID); });
      return ids.sort(function (a, b) { return a - b; });
    },
    crossings: function () { return crossings.getLayers().length; }
  };
})();
