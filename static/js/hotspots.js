// Draws the hotspot map with Leaflet: one circle per place with coordinates, sized by the children linked to it and
// the missing episodes that involved it. With no tile server configured (settings.MAP_TILE_URL) the circles sit on a
// plain background, placed by their coordinates; with one, on its tiles. The data comes from the page's JSON data
// block (#hotspot-data); the same places are in the table below the map, the view without JavaScript.
import * as L from "../vendor/leaflet/leaflet-src.esm.js";

const COLOUR = "#d4351c";
// Every place's name shows on the map when there are this few; more, and names show on hover or focus.
const PERMANENT_LABELS_UP_TO = 15;

// A circle's area grows with the number of children and episodes, within limits that keep it visible and legible.
function radius(point) {
  return Math.max(8, Math.min(40, 10 * Math.sqrt(point.children + point.episodes)));
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

function counts(point) {
  return `${plural(point.children, "child", "children")}, ${plural(point.episodes, "missing episode", "missing episodes")}`;
}

function describe(point) {
  return `${point.label}: ${counts(point)}`;
}

// Names sit beside their circles, on the side towards the middle of the map ("auto"), so they stay inside it: the
// name on one line, the counts on the next. Built as DOM nodes, so a place's name is never read as HTML.
function tooltipContent(point) {
  const span = document.createElement("span");
  const name = document.createElement("strong");
  name.textContent = point.label;
  span.append(name, document.createElement("br"), counts(point));
  return span;
}

function accessible(marker, point, text) {
  const path = marker.getElement();
  if (!path) return;
  const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
  title.textContent = text;
  path.append(title);
  path.setAttribute("role", "link");
  path.setAttribute("tabindex", "0");
  path.setAttribute("aria-label", `${text}. Open the record`);
  path.addEventListener("keydown", (event) => {
    if (event.key === "Enter") window.location.assign(point.url);
  });
  path.addEventListener("focus", () => marker.openTooltip());
  path.addEventListener("blur", () => {
    if (!marker.getTooltip().options.permanent) marker.closeTooltip();
  });
}

function draw(container, data) {
  container.replaceChildren();
  const tiles = data.tiles;
  const map = L.map(container, {
    attributionControl: Boolean(tiles),
    scrollWheelZoom: false,
    zoomSnap: 0.25,
  });
  if (tiles) {
    L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: 19 }).addTo(map);
  }
  const permanent = data.points.length <= PERMANENT_LABELS_UP_TO;
  const markers = data.points.map((point) => {
    const text = describe(point);
    const marker = L.circleMarker([point.latitude, point.longitude], {
      radius: radius(point),
      color: "#0b0c0c",
      weight: 2,
      fillColor: COLOUR,
      fillOpacity: 0.6,
    });
    marker.bindTooltip(tooltipContent(point), { permanent, direction: "auto", offset: [radius(point), 0] });
    marker.on("click", () => window.location.assign(point.url));
    marker.addTo(map);
    accessible(marker, point, text);
    return marker;
  });
  if (markers.length === 0) {
    map.setView([54.0, -2.5], 5); // Great Britain, for an empty map
  } else if (markers.length === 1) {
    map.setView(markers[0].getLatLng(), 14);
  } else {
    // With names showing, room on either side for them.
    const padding = permanent ? [240, 50] : [60, 60];
    map.fitBounds(L.featureGroup(markers).getBounds(), { padding, maxZoom: 16 });
  }
  return markers.length;
}

const container = document.querySelector("[data-testid=hotspot-map]");
const source = document.getElementById("hotspot-data");
if (container && source) {
  const count = draw(container, JSON.parse(source.textContent));
  // For browser tests and anyone waiting on the drawing: how many places it shows.
  container.dataset.rendered = String(count);
}
