// Draws the network page's records and links with cytoscape.js. The data comes from the page's JSON data block
// (#network-data); the same records and links are in the tables below the drawing, which is the view without
// JavaScript and for screen readers. Clicking a record opens it.
import cytoscape from "../vendor/cytoscape/cytoscape.esm.min.js";

// Colour and shape per kind of record: the legend on the page uses the same colours (frontend/scss/_mapping.scss).
const KINDS = {
  child: { colour: "#f47738", shape: "ellipse" },
  person: { colour: "#1d70b8", shape: "diamond" },
  location: { colour: "#00703c", shape: "round-rectangle" },
  vehicle: { colour: "#4c2c92", shape: "hexagon" },
  group: { colour: "#d4351c", shape: "triangle" },
  online_identity: { colour: "#28a197", shape: "round-tag" },
};

// Cytoscape adds an inline <style> element unless one with this id exists, and the Content-Security-Policy refuses
// inline styles. The one rule it would add (position: relative on the container) is in application.css.
function keepCytoscapeStylesheetOut() {
  const id = "__________cytoscape_stylesheet";
  if (!document.getElementById(id)) {
    const placeholder = document.createElement("meta");
    placeholder.id = id;
    document.head.append(placeholder);
  }
}

function elements(data) {
  const nodes = data.nodes.map((node) => ({
    data: {
      id: node.id,
      label: node.label,
      kind: node.kind,
      hops: node.hops,
      url: node.url,
      restricted: node.restricted ? "yes" : "no",
      start: node.id === data.start ? "yes" : "no",
    },
  }));
  const edges = data.links.map((link) => ({
    data: {
      id: link.id,
      source: link.source,
      target: link.target,
      label: link.label,
      restricted: link.restricted ? "yes" : "no",
    },
  }));
  return [...nodes, ...edges];
}

function style() {
  const rules = [
    {
      selector: "node",
      style: {
        label: "data(label)",
        "font-family": "Arial, sans-serif",
        "font-size": 12,
        color: "#0b0c0c",
        "text-valign": "bottom",
        "text-margin-y": 4,
        "text-wrap": "wrap",
        "text-max-width": 140,
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.85,
        "text-background-padding": 2,
        width: 28,
        height: 28,
        "border-width": 2,
        "border-color": "#0b0c0c",
      },
    },
    ...Object.entries(KINDS).map(([kind, look]) => ({
      selector: `node[kind = "${kind}"]`,
      style: { "background-color": look.colour, shape: look.shape },
    })),
    // Children stand out: bigger, with a thicker outline and a bold name.
    {
      selector: 'node[kind = "child"]',
      style: { width: 34, height: 34, "border-width": 4, "border-color": "#0b0c0c", "font-weight": "bold" },
    },
    { selector: 'node[restricted = "yes"]', style: { "border-style": "dashed", "border-width": 3 } },
    {
      selector: 'node[start = "yes"]',
      style: { width: 44, height: 44, "border-width": 6, "border-color": "#0b0c0c", "font-weight": "bold" },
    },
    {
      selector: "edge",
      style: {
        label: "data(label)",
        "font-family": "Arial, sans-serif",
        "font-size": 10,
        color: "#505a5f",
        width: 2,
        "line-color": "#6f777b",
        "curve-style": "bezier",
        "target-arrow-shape": "triangle",
        "target-arrow-color": "#6f777b",
        "text-rotation": "autorotate",
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.85,
        "text-background-padding": 1,
      },
    },
    { selector: 'edge[restricted = "yes"]', style: { "line-style": "dashed" } },
    { selector: "node:active, node:selected", style: { "overlay-opacity": 0.15 } },
  ];
  return rules;
}

function draw(container, data) {
  keepCytoscapeStylesheetOut();
  container.replaceChildren();
  const maxHops = Math.max(1, ...data.nodes.map((node) => node.hops));
  const cy = cytoscape({
    container,
    elements: elements(data),
    style: style(),
    // The start in the middle, each further link a ring further out.
    layout: {
      name: "concentric",
      concentric: (node) => maxHops - node.data("hops"),
      levelWidth: () => 1,
      minNodeSpacing: 50,
      padding: 30,
      animate: false,
    },
    minZoom: 0.2,
    maxZoom: 3,
    // Scrolling the page over the drawing scrolls the page; the buttons zoom.
    userZoomingEnabled: false,
    boxSelectionEnabled: false,
    autoungrabify: false,
  });
  cy.on("tap", "node", (event) => {
    const url = event.target.data("url");
    if (url) window.location.assign(url);
  });
  cy.on("mouseover", "node", () => container.classList.add("app-network--pointer"));
  cy.on("mouseout", "node", () => container.classList.remove("app-network--pointer"));
  return cy;
}

function controls(cy) {
  const group = document.querySelector("[data-network-controls]");
  if (!group) return;
  group.hidden = false;
  group.addEventListener("click", (event) => {
    const button = event.target.closest("[data-network-zoom]");
    if (!button) return;
    const action = button.dataset.networkZoom;
    if (action === "fit") {
      cy.fit(undefined, 30);
      return;
    }
    const centre = { x: cy.width() / 2, y: cy.height() / 2 };
    cy.zoom({ level: cy.zoom() * (action === "in" ? 1.25 : 0.8), renderedPosition: centre });
  });
}

const container = document.querySelector("[data-testid=network-graph]");
const source = document.getElementById("network-data");
if (container && source) {
  const data = JSON.parse(source.textContent);
  const cy = draw(container, data);
  controls(cy);
  // For browser tests and anyone waiting on the drawing: how many records it shows.
  container.dataset.rendered = String(cy.nodes().length);
}
