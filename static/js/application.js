// Evolve's only script entry point (CSP: script-src 'self', no inline script). Pages work without it; it adds the
// design systems' behaviour and the session timeout warning.
import { initAll as initGovuk } from "../vendor/govuk/govuk-frontend.min.js";
import { initAll as initMoj } from "../vendor/moj/moj-frontend.min.js";
import { initAutosave } from "./autosave.js";
import { initTimeoutWarning, restoreDraft } from "./timeout-warning.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initGovuk();
initMoj();
restoreDraft();
initTimeoutWarning(document.body);
initAutosave();
