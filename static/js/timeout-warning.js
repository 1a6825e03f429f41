// The GOV.UK timeout warning pattern (WCAG 2.2.1 Timing Adjustable). The server ends a session after a period with
// no requests; two minutes before that, a modal dialog says so and lets the user stay signed in. If the time runs
// out, what the user typed into the page's forms is kept in this tab's sessionStorage and put back when they return
// to the page after signing in again.

const DRAFT_PREFIX = "evolve-draft:";
// Every tab of the service shares one session, so tabs share the time of the last request too: an idle tab must
// not sign out someone working in another one.
const LAST_ACTIVITY_KEY = "evolve-last-activity";
const SKIPPED_TYPES = new Set(["password", "hidden", "submit", "button", "file"]);

function draftKey(path) {
  return DRAFT_PREFIX + path;
}

function keptFields(form) {
  return Array.from(form.elements).filter(
    (element) => element.name && !SKIPPED_TYPES.has(element.type) && element.name !== "csrfmiddlewaretoken",
  );
}

export function saveDraft() {
  const values = {};
  let typed = false;
  document.querySelectorAll("main form[method='post']").forEach((form) => {
    keptFields(form).forEach((element) => {
      if (element.type === "checkbox" || element.type === "radio") {
        if (element.checked) {
          values[`${element.name}=${element.value}`] = true;
          typed = true;
        }
      } else if (element.value) {
        values[element.name] = element.value;
        typed = true;
      }
    });
  });
  if (typed) {
    sessionStorage.setItem(draftKey(location.pathname), JSON.stringify(values));
  }
}

export function restoreDraft() {
  const stored = sessionStorage.getItem(draftKey(location.pathname));
  if (!stored || !document.body.dataset.sessionTimeout) {
    return; // nothing kept, or not signed in yet: keep it until the user is back on this page signed in
  }
  sessionStorage.removeItem(draftKey(location.pathname));
  const values = JSON.parse(stored);
  let restored = false;
  document.querySelectorAll("main form[method='post']").forEach((form) => {
    keptFields(form).forEach((element) => {
      if (element.type === "checkbox" || element.type === "radio") {
        const key = `${element.name}=${element.value}`;
        element.checked = Boolean(values[key]);
        restored = restored || element.checked;
      } else if (element.name in values) {
        element.value = values[element.name];
        restored = true;
      }
    });
  });
  const banner = document.getElementById("app-draft-restored");
  if (restored && banner) {
    banner.hidden = false;
  }
}

function describe(seconds) {
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60);
    return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  }
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}

export function initTimeoutWarning(body) {
  const timeout = Number(body.dataset.sessionTimeout);
  const warning = Number(body.dataset.sessionWarning);
  const dialog = document.getElementById("app-timeout-dialog");
  if (!timeout || !dialog) {
    return;
  }
  const countdown = document.getElementById("app-timeout-countdown");
  const live = document.getElementById("app-timeout-live");
  const stay = document.getElementById("app-timeout-stay");
  const signOut = document.getElementById("app-timeout-sign-out");
  let lastFocus = null;
  let expiresAt = 0;
  let warnTimer = 0;
  let tickTimer = 0;

  function signedOutUrl() {
    const next = encodeURIComponent(location.pathname + location.search);
    return `${body.dataset.signedOutUrl}?next=${next}`;
  }

  function lastActivity() {
    return Number(localStorage.getItem(LAST_ACTIVITY_KEY)) || 0;
  }

  function expire() {
    if (lastActivity() + timeout * 1000 > Date.now() + 1000) {
      schedule(false); // another tab kept the session alive
      return;
    }
    saveDraft();
    // Signing out changes state, so it is a POST with the CSRF token, never a link a third party could send.
    const form = document.createElement("form");
    form.method = "post";
    form.action = signedOutUrl();
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = body.dataset.csrfToken;
    form.append(token);
    document.body.append(form);
    form.submit();
  }

  function tick() {
    const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    countdown.textContent = describe(left);
    // Screen readers hear the time left once a minute, then at 30 and 10 seconds, not every second.
    if (left % 60 === 0 || left === 30 || left === 10) {
      live.textContent = `You will be signed out in ${describe(left)}.`;
    }
    if (left <= 0) {
      expire();
    }
  }

  function openWarning() {
    lastFocus = document.activeElement;
    tick();
    live.textContent = `You will be signed out in ${describe(Math.round((expiresAt - Date.now()) / 1000))}.`;
    dialog.showModal();
    stay.focus();
    tickTimer = window.setInterval(tick, 1000);
  }

  function schedule(active = true) {
    window.clearTimeout(warnTimer);
    window.clearInterval(tickTimer);
    if (active) {
      localStorage.setItem(LAST_ACTIVITY_KEY, String(Date.now()));
    }
    if (dialog.open) {
      dialog.close();
    }
    expiresAt = (lastActivity() || Date.now()) + timeout * 1000;
    warnTimer = window.setTimeout(openWarning, Math.max(0, expiresAt - warning * 1000 - Date.now()));
  }

  async function staySignedIn() {
    try {
      const response = await fetch(body.dataset.keepAliveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": body.dataset.csrfToken },
        redirect: "manual",
      });
      if (response.status !== 204) {
        expire();
        return;
      }
    } catch {
      return; // offline for a moment: leave the dialog open so the user can try again
    }
    schedule();
    if (lastFocus && typeof lastFocus.focus === "function") {
      lastFocus.focus();
    }
  }

  stay.addEventListener("click", staySignedIn);
  // Escape means "I'm still here", as in the GOV.UK pattern, not "ignore the warning".
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    staySignedIn();
  });
  signOut.addEventListener("click", (event) => {
    event.preventDefault();
    expire();
  });
  window.addEventListener("storage", (event) => {
    if (event.key === LAST_ACTIVITY_KEY) {
      schedule(false);
    }
  });
  schedule();
}
