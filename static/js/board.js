// Sổ trực chốt — the police board: attention for urgent arrivals, a reconnecting hint, and
// keeping a half-written police note when the regions around it are refreshed.

(() => {
  "use strict";
  const title = document.body.dataset.boardTitle || document.title;
  let known = new Set(idsIn(document.getElementById("board-urgent")));
  let soundOn = false;
  let audio = null;

  function idsIn(region) {
    return region && region.dataset.urgentIds ? region.dataset.urgentIds.split(",").filter(Boolean) : [];
  }

  function showCount(region) {
    const count = Number(region.dataset.urgentCount || 0);
    document.title = count ? `(${count}) ${title}` : title;
  }

  // A short two-tone beep, made on the spot: no audio file to fetch, and browsers allow it once
  // the officer has clicked "turn on sound".
  function beep() {
    if (!soundOn || !audio) return;
    const now = audio.currentTime;
    for (const [offset, pitch] of [[0, 880], [0.25, 660], [0.5, 880]]) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = pitch;
      gain.gain.setValueAtTime(0.3, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, now + offset + 0.22);
      tone.connect(gain).connect(audio.destination);
      tone.start(now + offset);
      tone.stop(now + offset + 0.23);
    }
  }

  function announce(region) {
    const ids = idsIn(region);
    const fresh = ids.filter((id) => !known.has(id));
    known = new Set(ids);
    showCount(region);
    if (!fresh.length) return;
    region.classList.remove("flash");
    void region.offsetWidth; // restart the animation
    region.classList.add("flash");
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      new Notification(region.querySelector("h2") ? region.querySelector("h2").textContent : title);
    }
  }

  // A police note being typed survives the refresh of its region: the incoming copy of a form
  // the officer is working in is marked hx-preserve, so htmx keeps the one on screen.
  document.body.addEventListener("htmx:oobBeforeSwap", (event) => {
    for (const incoming of event.detail.fragment.querySelectorAll("form[id]")) {
      const current = document.getElementById(incoming.id);
      if (!current) continue;
      const busy = current.contains(document.activeElement) ||
        [...current.querySelectorAll("textarea, input[type=text]")].some((field) => field.value.trim() !== "");
      if (busy) incoming.setAttribute("hx-preserve", "");
    }
  });

  // A busy ward's poll brings only its new observations, on top of the open list (the server
  // renders the whole list only when something else about observations changed). Put a card that
  // happened earlier than those below it in its place, drop a card that came twice, and keep the
  // newest `data-limit`. Cards already in order are never moved: one may hold a note being typed.
  function when(card) {
    const time = card.querySelector(".obs-meta time");
    return time ? Date.parse(time.getAttribute("datetime")) : 0;
  }

  function tidyOpenList() {
    const list = document.getElementById("board-open");
    if (!list) return;
    const cards = () => [...list.children].filter((element) => element.classList.contains("obs-card"));
    const seen = new Set();
    for (const card of cards()) {
      if (seen.has(card.id)) card.remove();
      else seen.add(card.id);
    }
    for (const card of cards()) {
      const below = cards().slice(cards().indexOf(card) + 1);
      if (!below.length || when(below[0]) <= when(card)) continue;
      const older = below.find((other) => when(other) < when(card));
      if (older) list.insertBefore(card, older);
      else list.appendChild(card);
    }
    const limit = Number(list.dataset.limit || 0);
    if (limit) cards().slice(limit).forEach((card) => card.remove());
    const empty = list.querySelector(".board-open-empty");
    if (empty && cards().length) empty.remove();
  }

  // The event's target is the element that was replaced; the new one is read from the page.
  document.body.addEventListener("htmx:oobAfterSwap", (event) => {
    const id = event.detail.target && event.detail.target.id;
    if (id === "board-urgent") announce(document.getElementById("board-urgent"));
    if (id === "board-open") tidyOpenList();
    // A poll that brought changes replaces the poller itself, whose own events then fire on a
    // detached element that no listener here hears: the new poller arriving is the good news.
    if (id === "board-poll") live(true);
  });

  // The poll tells whether the server is reachable: a failed poll shows "reconnecting", the
  // next answered one hides it, and the newest sequence number catches up on what was missed.
  const status = document.getElementById("board-status");
  function live(ok) {
    if (!status) return;
    status.classList.toggle("lost", !ok);
    status.querySelector("[data-live-ok]").hidden = !ok;
    status.querySelector("[data-live-lost]").hidden = ok;
  }
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt && event.detail.elt.id === "board-poll") {
      live(event.detail.successful || (event.detail.xhr && event.detail.xhr.status === 204));
    }
  });
  document.body.addEventListener("htmx:sendError", (event) => {
    if (event.detail.elt && event.detail.elt.id === "board-poll") live(false);
  });

  const soundButton = document.querySelector("[data-enable-sound]");
  if (soundButton) {
    soundButton.addEventListener("click", () => {
      soundOn = !soundOn;
      if (soundOn && !audio) audio = new AudioContext();
      soundButton.setAttribute("aria-pressed", String(soundOn));
      if (soundOn) beep();
    });
  }
  const notifyButton = document.querySelector("[data-enable-notifications]");
  if (notifyButton && "Notification" in window && Notification.permission !== "denied") {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", () => Notification.requestPermission());
  }
  const fullscreen = document.querySelector("[data-fullscreen]");
  if (fullscreen) fullscreen.addEventListener("click", () => document.documentElement.requestFullscreen());

  const urgent = document.getElementById("board-urgent");
  if (urgent) showCount(urgent);
})();
