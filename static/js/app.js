// Sổ trực chốt — the little glue htmx cannot do by itself.
// Every htmx request carries the CSRF token from <meta name="csrf-token"> in the X-CSRFToken header.
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.content;
  }
});

// The service worker keeps the app's shell on the phone and answers when there is no connection.
// Registered after the page has loaded, so it never competes with the page on a slow line.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
      console.warn("service worker not registered:", error);
    });
  });
  // Logging out: the worker forgets this person's saved pages before the next person uses the phone.
  document.addEventListener("submit", (event) => {
    const controller = navigator.serviceWorker.controller;
    // Not when the person chose to stay (static/js/outbox.js asks first if entries wait to be sent).
    if (controller && !event.defaultPrevented && event.target.matches('form[action$="/logout"]')) {
      controller.postMessage({ type: "logout" });
    }
  });
}

// A page the worker kept and shows without a connection says so (see templates/pwa/_install_hint.html).
if (document.documentElement.hasAttribute("data-stored-copy")) {
  const notice = document.getElementById("stored-copy");
  if (notice) {
    notice.hidden = false;
  }
}

// iPhones and iPads have no install prompt: Safari (not yet installed) shows how, until dismissed.
(() => {
  const hint = document.getElementById("install-hint");
  const apple = /iPhone|iPad|iPod/.test(navigator.userAgent)
    || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);  // iPadOS asks for desktop pages
  if (!hint || !apple || navigator.standalone !== false) {
    return;
  }
  const DISMISSED = "install-hint-dismissed";
  try {
    if (localStorage.getItem(DISMISSED)) {
      return;
    }
  } catch (refused) {
    // storage refused (private browsing): the hint shows each time
  }
  hint.hidden = false;
  hint.querySelector("[data-dismiss]").addEventListener("click", () => {
    hint.hidden = true;
    try {
      localStorage.setItem(DISMISSED, "1");
    } catch (refused) {
      // nothing to remember it in
    }
  });
})();
