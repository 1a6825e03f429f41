// Saves a long form (the MARF) as the user types, through the API, so a closed tab or a lost connection loses
// little. Without JavaScript the "Save draft" button does the same. The page's form stays the source of truth:
// when the user presses a button, the whole form is saved again by the server.

const DELAY_MS = 2000;

function payload(form) {
  const data = { version: Number(form.elements.version.value), indicator_ids: [] };
  for (const element of form.elements) {
    if (!element.name || element.type === "file" || element.type === "submit") continue;
    if (element.name === "indicators") {
      if (element.checked) data.indicator_ids.push(Number(element.value));
    } else if (element.type === "radio") {
      if (element.checked) data[element.name] = element.value;
    } else if (!["version", "csrfmiddlewaretoken", "action", "attachment"].includes(element.name) && !/_\d$/.test(element.name)) {
      data[element.name] = element.value;
    }
  }
  const [day, month, year] = ["0", "1", "2"].map((part) => form.elements[`child_date_of_birth_${part}`]?.value.trim());
  if (day && month && year && /^\d{4}$/.test(year)) {
    data.child_date_of_birth = `${year}-${month.padStart(2, "0")}-${day.padStart(2, "0")}`;
  }
  return data;
}

export function initAutosave() {
  const form = document.querySelector("form[data-autosave-url]");
  const status = document.getElementById("app-autosave-status");
  if (!form || !status || !document.body.dataset.csrfToken) return;
  let timer = 0;
  let saving = false;

  async function save() {
    if (saving) {
      timer = window.setTimeout(save, DELAY_MS);
      return;
    }
    saving = true;
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "PATCH",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": document.body.dataset.csrfToken },
        body: JSON.stringify(payload(form)),
      });
      if (response.ok) {
        const body = await response.json();
        form.elements.version.value = body.version;
        const time = new Date().toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
        status.textContent = `Draft saved at ${time}`;
      } else if (response.status === 409) {
        status.textContent = "This draft was changed in another window. Use Save draft to check it.";
      } else {
        status.textContent = "Some answers could not be saved yet. Use Save draft to see why.";
      }
    } catch {
      status.textContent = "Not saved: you may be offline. Your answers are still on this page.";
    } finally {
      saving = false;
    }
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DELAY_MS);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  // A button press saves the whole form on the server: stop autosaving, and if a save is on its way, wait for it
  // (its new version goes into the form) so the press is not refused as coming from a stale page.
  let submitting = false;
  form.addEventListener("submit", (event) => {
    window.clearTimeout(timer);
    form.removeEventListener("input", schedule);
    form.removeEventListener("change", schedule);
    if (!saving || submitting) return;
    event.preventDefault();
    submitting = true;
    const wait = window.setInterval(() => {
      if (!saving) {
        window.clearInterval(wait);
        form.requestSubmit(event.submitter);
      }
    }, 100);
  });
}
