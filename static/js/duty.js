// Sổ trực chốt — the volunteer's screens: duty timer, the phone's position, the urgent countdown.
// Everything here only adds to forms that already work without JavaScript.

// Duty timer: elements with data-since (ISO time) show hours:minutes:seconds on duty.
function tickTimers() {
  for (const el of document.querySelectorAll("[data-since]")) {
    const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.since)) / 1000));
    const pad = (n) => String(n).padStart(2, "0");
    el.textContent = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  }
}
setInterval(tickTimers, 1000);

// Position: forms with data-geo get lat/lng filled when the volunteer allows it. It never
// blocks a submit: a check-in without a position is still a check-in.
function fillPosition(root) {
  const forms = root.querySelectorAll("form[data-geo]");
  if (!forms.length || !("geolocation" in navigator)) return;
  const locate = () => navigator.geolocation.getCurrentPosition((position) => {
    for (const form of forms) {
      const lat = form.querySelector('input[name="lat"]');
      const lng = form.querySelector('input[name="lng"]');
      if (lat && lng) {
        lat.value = position.coords.latitude.toFixed(6);
        lng.value = position.coords.longitude.toFixed(6);
      }
    }
  }, () => {}, { enableHighAccuracy: true, maximumAge: 60000, timeout: 15000 });
  // Once the person has allowed it, asking is silent: at once, so the position is there by the tap.
  // Before that, the browser's question comes with the person's first tap, not out of the blue.
  const onFirstTap = () => document.addEventListener("pointerdown", locate, { once: true, capture: true });
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions.query({ name: "geolocation" })
      .then((status) => (status.state === "granted" ? locate() : onFirstTap()), onFirstTap);
  } else {
    onFirstTap();
  }
}

// Urgent alert: the first tap starts a countdown that can be cancelled; at zero the form is sent.
function armCountdown(root) {
  for (const form of root.querySelectorAll("form[data-countdown]")) {
    if (form.dataset.armed) continue;
    form.dataset.armed = "1";
    const button = form.querySelector("[data-confirm-button]");
    const panel = form.querySelector("[data-countdown-panel]");
    const seconds = form.querySelector("[data-countdown-seconds]");
    const cancel = form.querySelector("[data-cancel-button]");
    let timer = null;
    form.addEventListener("submit", (event) => {
      if (form.dataset.go) return; // the countdown finished: let it through
      event.preventDefault();
      if (timer) return;
      let left = Number(form.dataset.countdown);
      seconds.textContent = left;
      button.hidden = true;
      panel.hidden = false;
      cancel.focus();
      timer = setInterval(() => {
        left -= 1;
        seconds.textContent = left;
        if (left <= 0) {
          clearInterval(timer);
          form.dataset.go = "1";
          form.requestSubmit();
        }
      }, 1000);
    });
    cancel.addEventListener("click", () => {
      clearInterval(timer);
      timer = null;
      panel.hidden = true;
      button.hidden = false;
      button.focus();
    });
  }
}

function enhance(root) {
  tickTimers();
  fillPosition(root);
  armCountdown(root);
}
document.addEventListener("DOMContentLoaded", () => enhance(document));
document.addEventListener("htmx:load", (event) => enhance(event.detail.elt));
