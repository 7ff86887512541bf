// The checkpoint form's position picker: a 3×3 tile map where a tap sets the latitude and longitude
// boxes. The boxes stay the real inputs; without JavaScript (or tiles) people type the coordinates.
(function () {
  "use strict";
  var GRID = 3;
  var HOME = { lat: 10.7769, lng: 106.7009, zoom: 14 }; // Ho Chi Minh City, when nothing is typed yet

  function worldTile(lat, lng, zoom) {
    var n = Math.pow(2, zoom);
    lat = Math.max(-85.05112878, Math.min(85.05112878, lat));
    var rad = lat * Math.PI / 180;
    return { x: (lng + 180) / 360 * n, y: (1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2 * n };
  }

  function latLng(x, y, zoom) {
    var n = Math.pow(2, zoom);
    var lng = x / n * 360 - 180;
    var lat = Math.atan(Math.sinh(Math.PI * (1 - 2 * y / n))) * 180 / Math.PI;
    return { lat: lat, lng: ((lng + 540) % 360) - 180 };
  }

  function number(input) {
    var value = parseFloat((input.value || "").replace(",", "."));
    return isFinite(value) ? value : null;
  }

  function button(label, text) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button button-quiet";
    b.textContent = text || label;
    b.setAttribute("aria-label", label);
    return b;
  }

  function setUp(box) {
    var latInput = document.querySelector(box.dataset.lat);
    var lngInput = document.querySelector(box.dataset.lng);
    if (!latInput || !lngInput) return;
    var template = box.dataset.tileUrl;
    var typedLat = number(latInput), typedLng = number(lngInput);
    var view = typedLat !== null && typedLng !== null
      ? { lat: typedLat, lng: typedLng, zoom: 17 } : { lat: HOME.lat, lng: HOME.lng, zoom: HOME.zoom };
    var origin = { x: 0, y: 0 };

    var map = document.createElement("div");
    map.className = "picker-map";
    map.setAttribute("role", "application");
    map.setAttribute("aria-label", box.dataset.labelMap);
    var tiles = document.createElement("div");
    tiles.className = "picker-tiles";
    var marker = document.createElement("div");
    marker.className = "picker-marker";
    map.appendChild(tiles);
    map.appendChild(marker);

    var tools = document.createElement("div");
    tools.className = "picker-tools";
    var zoomIn = button(box.dataset.labelZoomIn, "+"), zoomOut = button(box.dataset.labelZoomOut, "−");
    var west = button(box.dataset.labelWest, "←"), north = button(box.dataset.labelNorth, "↑");
    var south = button(box.dataset.labelSouth, "↓"), east = button(box.dataset.labelEast, "→");
    var moves = document.createElement("div");
    moves.className = "picker-moves";
    [zoomIn, zoomOut, west, north, south, east].forEach(function (b) { moves.appendChild(b); });
    tools.appendChild(moves);
    var here = null;
    if ("geolocation" in navigator) {
      here = button(box.dataset.labelHere);
      tools.appendChild(here);
    }
    var clear = button(box.dataset.labelClear);
    tools.appendChild(clear);

    function tileUrl(z, x, y) {
      return template.replace("{z}", z).replace("{x}", x).replace("{y}", y).replace("{s}", "abc"[(x + y) % 3]);
    }

    function placeMarker() {
      var lat = number(latInput), lng = number(lngInput);
      if (lat === null || lng === null) { marker.hidden = true; return; }
      var p = worldTile(lat, lng, view.zoom);
      var left = (p.x - origin.x) / GRID, top = (p.y - origin.y) / GRID;
      marker.hidden = left < 0 || left > 1 || top < 0 || top > 1;
      marker.style.left = (left * 100) + "%"; // CSSOM, which the CSP allows (no style attribute in markup)
      marker.style.top = (top * 100) + "%";
    }

    function draw() {
      var n = Math.pow(2, view.zoom);
      var centre = worldTile(view.lat, view.lng, view.zoom);
      origin = { x: Math.floor(centre.x) - 1, y: Math.floor(centre.y) - 1 };
      tiles.textContent = "";
      for (var row = 0; row < GRID; row++) {
        for (var col = 0; col < GRID; col++) {
          var ty = origin.y + row, tx = ((origin.x + col) % n + n) % n;
          var cell;
          if (ty < 0 || ty >= n) {
            cell = document.createElement("span");
          } else {
            cell = document.createElement("img");
            cell.alt = "";
            cell.width = 256;
            cell.height = 256;
            cell.decoding = "async";
            cell.referrerPolicy = "strict-origin-when-cross-origin";
            cell.src = tileUrl(view.zoom, tx, ty);
          }
          tiles.appendChild(cell);
        }
      }
      zoomIn.disabled = view.zoom >= 19;
      zoomOut.disabled = view.zoom <= 3;
      placeMarker();
    }

    function pan(dx, dy) {
      var centre = worldTile(view.lat, view.lng, view.zoom);
      var moved = latLng(centre.x + dx, centre.y + dy, view.zoom);
      view.lat = moved.lat;
      view.lng = moved.lng;
      draw();
    }

    function set(lat, lng) {
      latInput.value = lat.toFixed(6);
      lngInput.value = lng.toFixed(6);
      placeMarker();
    }

    map.addEventListener("click", function (event) {
      var rect = map.getBoundingClientRect();
      var x = origin.x + (event.clientX - rect.left) / rect.width * GRID;
      var y = origin.y + (event.clientY - rect.top) / rect.height * GRID;
      var point = latLng(x, y, view.zoom);
      set(point.lat, point.lng);
    });
    zoomIn.addEventListener("click", function () { view.zoom += 1; draw(); });
    zoomOut.addEventListener("click", function () { view.zoom -= 1; draw(); });
    west.addEventListener("click", function () { pan(-1, 0); });
    east.addEventListener("click", function () { pan(1, 0); });
    north.addEventListener("click", function () { pan(0, -1); });
    south.addEventListener("click", function () { pan(0, 1); });
    clear.addEventListener("click", function () { latInput.value = ""; lngInput.value = ""; placeMarker(); });
    if (here) {
      here.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          view = { lat: position.coords.latitude, lng: position.coords.longitude, zoom: 17 };
          set(view.lat, view.lng);
          draw();
        }, function () { /* refused or unavailable: the boxes still work */ },
        { enableHighAccuracy: true, timeout: 15000 });
      });
    }
    [latInput, lngInput].forEach(function (input) {
      input.addEventListener("change", function () {
        var lat = number(latInput), lng = number(lngInput);
        if (lat !== null && lng !== null && Math.abs(lat) <= 90 && Math.abs(lng) <= 180) {
          view.lat = lat;
          view.lng = lng;
          draw();
        } else {
          placeMarker();
        }
      });
    });

    box.appendChild(tools);
    box.appendChild(map);
    box.hidden = false;
    var credit = box.parentNode.querySelector(".map-credit");
    if (credit) credit.hidden = false;
    draw();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".map-picker[data-tile-url]"), setUp);
  });
})();
