// Builds the design systems into static/: compiled CSS plus the fonts, images and ES modules they need.
// Run by `make assets`; the output is not committed (static/vendor and static/css are in .gitignore).
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import * as sass from "sass";

const projectRoot = new URL("../", import.meta.url).pathname;
const nodeModules = `${projectRoot}node_modules/`;
const staticDir = new URL("../static/", import.meta.url).pathname;

const css = sass.compile(new URL("scss/application.scss", import.meta.url).pathname, {
  style: "compressed",
  importers: [new sass.NodePackageImporter()],
  // MOJ Frontend forwards "node_modules/govuk-frontend/...", so the project root is a load path too.
  loadPaths: [projectRoot, nodeModules],
  quietDeps: true,
  // The design systems warn about their own deprecated mixins; nothing of ours to act on.
  logger: { warn() {} },
  silenceDeprecations: ["import", "global-builtin"],
});
mkdirSync(`${staticDir}css`, { recursive: true });
writeFileSync(`${staticDir}css/application.css`, css.css);

const copies = [
  ["govuk-frontend/dist/govuk/assets", "vendor/assets"],
  ["govuk-frontend/dist/govuk/govuk-frontend.min.js", "vendor/govuk/govuk-frontend.min.js"],
  ["@ministryofjustice/frontend/moj/assets", "vendor/assets"],
  ["@ministryofjustice/frontend/moj/moj-frontend.min.js", "vendor/moj/moj-frontend.min.js"],
  // The network drawing and the hotspot map (mapping): ES modules, served from here, never from a CDN. Cytoscape's
  // module is renamed .js so every static server sends it with a JavaScript type (a module script needs one).
  ["cytoscape/dist/cytoscape.esm.min.mjs", "vendor/cytoscape/cytoscape.esm.min.js"],
  ["leaflet/dist/leaflet-src.esm.js", "vendor/leaflet/leaflet-src.esm.js"],
  ["leaflet/dist/leaflet.css", "vendor/leaflet/leaflet.css"],
  ["leaflet/dist/images", "vendor/leaflet/images"],
];
for (const [from, to] of copies) {
  cpSync(`${nodeModules}${from}`, `${staticDir}${to}`, { recursive: true });
}
console.log("built static/css/application.css and static/vendor/");
