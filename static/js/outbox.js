// Sổ trực chốt — the phone's outbox. Every volunteer action is written to IndexedDB first, then sent
// to the sync API (docs/api.md), oldest first, until the server has answered for it. The first half
// (the store and the sender) also runs inside the service worker for Background Sync; the second half
// is the page: forms, the badge, the list of what waits and what the server refused.
(function (scope) {
  "use strict";

  const STORE = "items";
  const MAX_BATCH = 100;          // the sync API's limit per request
  const SYNC_TIMEOUT = 20000;     // a weak link may be slow, but an answer that never comes is no answer
  const PHOTO_TIMEOUT = 90000;    // a few hundred kilobytes on a poor 3G line
  const PERSON_HEADER = "X-Outbox-Person";

  // ——— The store: one database per person, named by the user key (never the phone number). ———

  class NoAnswer extends Error {}       // offline, timed out, server down: send again later
  class Blocked extends Error {         // sending cannot go on until the person does something
    constructor(why) {
      super(why);
      this.why = why;                   // "login" | "otherPerson" | "forbidden"
    }
  }

  const databases = new Map();

  function open(person) {
    if (!databases.has(person)) {
      databases.set(person, new Promise((resolve, reject) => {
        const request = indexedDB.open("outbox-" + person, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
        request.onsuccess = () => {
          const db = request.result;
          db.onversionchange = () => {
            db.close();
            databases.delete(person);
          };
          resolve(db);
        };
        request.onerror = () => {
          databases.delete(person);
          reject(request.error);
        };
      }));
    }
    return databases.get(person);
  }

  // One transaction; `work` queues its requests synchronously and the promise settles when it commits.
  async function transaction(person, mode, work) {
    const db = await open(person);
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }

  // Oldest first: the key is an auto-increment sequence, so the order is the order they were made.
  const all = (person) => transaction(person, "readonly", (store) => store.getAll());
  const addAll = (person, entries) => transaction(person, "readwrite", (store) => {
    for (const entry of entries) store.add(entry);
  });
  const update = (person, changes) => transaction(person, "readwrite", (store) => {
    for (const { remove, entry } of changes) {
      if (remove) store.delete(entry.seq);
      else store.put(entry);
    }
  });
  const remove = (person, entries) => update(person, entries.map((entry) => ({ remove: true, entry })));

  // ——— The sender ———

  async function request(url, options, timeout) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeout);
    try {
      return await fetch(url, { credentials: "same-origin", cache: "no-store", ...options, signal: abort.signal });
    } catch (failed) {
      throw new NoAnswer(String(failed));
    } finally {
      clearTimeout(timer);
    }
  }

  async function json(response) {
    try {
      return await response.json();
    } catch (notJson) {
      return null;
    }
  }

  // Who is logged in now, and a CSRF token for that session. Items go only under their own person.
  async function refreshSession(ctx) {
    ctx.refreshed = true;
    const response = await request(ctx.urls.session, { method: "GET" }, SYNC_TIMEOUT);
    if (response.status === 401) throw new Blocked("login");
    if (response.status === 403) throw new Blocked("forbidden");
    const body = response.ok ? await json(response) : null;
    if (!body) throw new NoAnswer("session: " + response.status);
    if (body.user_key !== ctx.person) throw new Blocked("otherPerson");
    ctx.token = body.csrf_token;
    if (ctx.onToken) ctx.onToken(body.csrf_token);
  }

  // A request with the person's header and the token; an expired token is renewed once (docs/api.md:
  // a lost session cookie shows up as a failed CSRF check before it shows up as a 401).
  async function send(ctx, url, options, timeout) {
    if (!ctx.token) await refreshSession(ctx);
    for (;;) {
      const headers = { ...options.headers, "X-CSRFToken": ctx.token, [PERSON_HEADER]: ctx.person };
      const response = await request(url, { ...options, method: "POST", headers }, timeout);
      if (response.status === 400 || response.status === 403) {
        const body = await json(response.clone());
        if (body && body.error === "csrf_failed") {
          if (ctx.refreshed) throw new Blocked("login");
          await refreshSession(ctx);
          continue;
        }
        if (response.status === 403) throw new Blocked("forbidden");
      }
      if (response.status === 401) throw new Blocked("login");
      if (response.status === 409) throw new Blocked("otherPerson");
      if (response.status >= 500 || response.status === 429 || response.status === 408) {
        throw new NoAnswer("status " + response.status);
      }
      return response;
    }
  }

  function rejected(entry, answer) {
    return { ...entry, status: "rejected", reason: answer.reason || "", code: answer.code || null,
             field: answer.field || null };
  }

  // One photo per request, so a weak link never spends a whole batch on a picture.
  async function sendPhoto(ctx, entry) {
    const form = new FormData();
    form.append("uuid", entry.photoUuid);
    form.append("photo", entry.photo, "photo.jpg");
    const response = await send(ctx, ctx.urls.photos, { body: form }, PHOTO_TIMEOUT);
    const answer = await json(response);
    if (response.status === 200 || response.status === 201) {
      // The server keeps the picture now; the phone's copy can go (the observation names its uuid).
      await update(ctx.person, [{ entry: { ...entry, photo: null, photoDone: true } }]);
    } else if (answer && answer.status === "rejected") {
      await update(ctx.person, [{ entry: rejected(entry, { ...answer, field: "photo" }) }]);
    } else {
      throw new NoAnswer("photo: " + response.status);
    }
  }

  async function sendBatch(ctx, batch) {
    const body = JSON.stringify({ items: batch.map((entry) => entry.item) });
    const response = await send(ctx, ctx.urls.sync,
      { headers: { "Content-Type": "application/json" }, body }, SYNC_TIMEOUT);
    const answer = await json(response);
    if (!response.ok || !answer || !Array.isArray(answer.results) || answer.results.length !== batch.length) {
      if (answer && answer.reason && [400, 413, 415].includes(response.status)) {
        // The server read the request and refused it whole: shown on each item, never retried blindly.
        await update(ctx.person, batch.map((entry) => ({ entry: rejected(entry, answer) })));
        return;
      }
      throw new NoAnswer("sync: " + response.status);
    }
    const changes = batch.map((entry, i) => {
      const result = answer.results[i];
      // Stored now, or by an earlier send whose answer never arrived: either way it is on the server.
      const done = result.status === "accepted" || result.status === "duplicate"
        || (result.status === "rejected" && entry.doneIf && entry.doneIf === result.code);
      if (done && ctx.onSent) ctx.onSent(entry);
      return done ? { remove: true, entry } : { entry: rejected(entry, result) };
    });
    await update(ctx.person, changes);
  }

  const waitingOnly = (entries) => entries.filter((entry) => entry.status === "waiting");

  // Everything waiting, in the order it was made: a photo goes up just before its observation, and a
  // batch ends at the first item whose photo is not on the server yet.
  async function drain(ctx) {
    for (;;) {
      const waiting = waitingOnly(await all(ctx.person));
      if (!waiting.length) return;
      if (waiting[0].photo && !waiting[0].photoDone) {
        await sendPhoto(ctx, waiting[0]);
        continue;
      }
      const batch = [];
      for (const entry of waiting) {
        if ((entry.photo && !entry.photoDone) || batch.length === MAX_BATCH) break;
        batch.push(entry);
      }
      await sendBatch(ctx, batch);
    }
  }

  // Tabs and the worker take turns: two senders at once would be safe (the server is idempotent)
  // but could both mark the same item.
  function flush(ctx) {
    const locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request("outbox-" + ctx.person, () => drain(ctx)) : drain(ctx);
  }

  scope.Outbox = { open, all, addAll, update, remove, flush, NoAnswer, Blocked };

  if (typeof document === "undefined") {
    return;  // in the service worker: the store and the sender are all it needs
  }

  // ——— The page ———

  const config = scope.OutboxConfig;  // its words and settings: /outbox-words.js, loaded just before
  const personMeta = document.querySelector('meta[name="user-key"]');
  if (!config || !personMeta || !("indexedDB" in scope)) {
    return;  // not a volunteer's page, or no IndexedDB: the forms post to the server as they always did
  }
  const text = config.text;
  const person = personMeta.content;
  const panel = document.getElementById("outbox");
  const badge = document.getElementById("outbox-badge");
  const FLASH = "outbox-flash";
  const RETRY_MIN = 15000;
  const RETRY_MAX = 300000;
  const AFTER_SUBMIT_WAIT = 8000;   // then the screen says "waiting" and sending goes on behind it

  let blocked = null;               // why sending stopped until the person acts
  let trouble = null;               // "offline" | "retrying" after a failed attempt
  let failures = 0;
  let running = null;
  let again = false;
  let timer = null;
  let unsent = 0;
  const sentHere = [];              // sent since this page was drawn: the page does not show them yet

  function csrfMeta() {
    return document.querySelector('meta[name="csrf-token"]');
  }

  function context() {
    const meta = csrfMeta();
    return {
      person, urls: config.urls, token: meta ? meta.content : null, refreshed: false,
      onToken: (token) => { if (meta) meta.content = token; },
      onSent: (entry) => sentHere.push(entry),
    };
  }

  function newUuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));  // crypto.randomUUID needs https
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const pad = (n) => String(n).padStart(2, "0");

  // The ward's wall clock (Vietnam keeps one offset all year).
  function wardClock(moment) {
    return new Date(moment.getTime() + config.utcOffsetMinutes * 60000);
  }

  function offsetText() {
    const minutes = Math.abs(config.utcOffsetMinutes);
    return (config.utcOffsetMinutes < 0 ? "-" : "+") + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
  }

  function shortTime(iso) {
    const local = wardClock(new Date(iso));
    return `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())} ${pad(local.getUTCDate())}/${pad(local.getUTCMonth() + 1)}`;
  }

  // ——— Sending, and when ———

  function flushNow() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await attempt();
      } while (again);
    })().finally(() => {
      running = null;
      render();
    });
    render();
    return running;
  }

  async function attempt() {
    try {
      await flush(context());
      blocked = null;
      trouble = null;
      failures = 0;
    } catch (error) {
      if (error instanceof Blocked) {
        blocked = error.why;
      } else {
        trouble = navigator.onLine === false ? "offline" : "retrying";
        failures += 1;
        if (!(error instanceof NoAnswer)) console.warn("outbox:", error);
      }
    }
  }

  // Periodically while the page is open, sooner after a first failure, at most every five minutes.
  function schedule() {
    clearTimeout(timer);
    if (unsent === 0 || blocked) return;
    const wait = Math.min(RETRY_MAX, RETRY_MIN * 2 ** Math.max(0, failures - 1));
    timer = setTimeout(flushNow, wait);
  }

  function retryAutomatically() {
    if (!blocked) flushNow();
  }

  function askBackgroundSync() {
    // Where the browser has it, it wakes the worker when the connection returns, even with the app
    // closed. Nothing depends on it: iPhones do not have it.
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready
      .then((registration) => registration.sync && registration.sync.register("outbox"))
      .catch(() => {});
  }

  let persistenceAsked = false;
  function askPersistence() {
    // So that the browser does not clear the outbox when the phone runs short of space.
    if (persistenceAsked || !navigator.storage || !navigator.storage.persist) return;
    persistenceAsked = true;
    navigator.storage.persisted().then((yes) => yes || navigator.storage.persist()).catch(() => {});
  }

  // ——— Drawing: the badge, the list, what the page shows as done though still waiting ———

  function describe(entry) {
    const item = entry.item;
    let what = config.kinds[entry.kind] || entry.kind;
    if (entry.kind === "observation" && config.categories[item.category]) {
      what += " · " + config.categories[item.category];
    }
    const parts = [entry.shown.checkpoint, shortTime(item.occurred_at)];
    const words = item.text || item.summary || item.remark;
    if (words) parts.push(words.length > 80 ? words.slice(0, 79) + "…" : words);
    if (entry.photoUuid) parts.push(text.withPhoto);
    return { what, detail: parts.filter(Boolean).join(" · ") };
  }

  function itemElement(entry) {
    const template = panel.querySelector("template[data-outbox-item]");
    const li = template.content.firstElementChild.cloneNode(true);
    const { what, detail } = describe(entry);
    li.querySelector("[data-what]").textContent = what;
    li.querySelector("[data-detail]").textContent = detail;
    const state = li.querySelector("[data-state]");
    if (entry.status === "rejected") {
      state.remove();
      const reason = li.querySelector("[data-reason]");
      reason.textContent = entry.reason;
      reason.hidden = false;
      li.querySelector("[data-buttons]").hidden = false;
      const edit = li.querySelector("[data-edit]");
      if (entry.page && ["observation", "handover", "handover_accept"].includes(entry.kind)) {
        edit.href = entry.page + "#outbox-edit=" + entry.uuid;
      } else {
        edit.remove();
      }
      li.querySelector("[data-discard]").addEventListener("click", async () => {
        if (!confirm(text.discardConfirm)) return;
        await remove(person, [entry]);
        render();
      });
    } else {
      state.textContent = text.waiting;
    }
    return li;
  }

  function statusText(waiting) {
    if (blocked) return text[blocked];
    if (running && waiting) return text.sending;
    if (trouble && waiting) return text[trouble];
    if (navigator.onLine === false && waiting) return text.offline;
    return "";
  }

  let drawing = Promise.resolve();
  function render() {
    drawing = drawing.then(draw).catch((error) => console.warn("outbox:", error));
    return drawing;
  }

  async function draw() {
    const entries = await all(person);
    const waiting = waitingOnly(entries);
    const refused = entries.filter((entry) => entry.status === "rejected");
    unsent = entries.length;
    for (const count of document.querySelectorAll("[data-outbox-count]")) {
      count.textContent = String(entries.length);
    }
    if (badge) {
      badge.hidden = entries.length === 0;
      badge.classList.toggle("outbox-badge-refused", refused.length > 0);
    }
    if (panel) {
      panel.hidden = entries.length === 0;
      panel.querySelector("[data-outbox-status]").textContent = statusText(waiting.length);
      panel.querySelector("[data-outbox-login]").hidden = !(blocked === "login" || blocked === "otherPerson");
      panel.querySelector("[data-outbox-list]").replaceChildren(...waiting.map(itemElement));
      panel.querySelector("[data-outbox-retry]").hidden = waiting.length === 0;
      panel.querySelector("[data-outbox-waiting-part]").hidden = waiting.length === 0;
      panel.querySelector("[data-outbox-rejected]").replaceChildren(...refused.map(itemElement));
      panel.querySelector("[data-outbox-rejected-part]").hidden = refused.length === 0;
    }
    if (!waiting.length) {
      // "Saved, waiting to send" is no longer true once nothing waits.
      for (const old of document.querySelectorAll('[data-outbox-note="queued"]')) old.remove();
    }
    drawPresence(waiting);
    drawLog(entries);
    schedule();
  }

  // A check-in or check-out the server has not seen yet still shows as done on "My shift".
  function drawPresence(waiting) {
    let presence;  // undefined: nothing this page does not know; null: checked out; else a checkpoint code
    for (const entry of [...sentHere, ...waiting]) {
      if (entry.kind === "check_in") presence = entry.item.checkpoint;
      if (entry.kind === "check_out") presence = null;
    }
    const known = presence !== undefined;
    for (const el of document.querySelectorAll("[data-outbox-present]")) {
      el.hidden = !(known && presence === el.dataset.outboxPresent);
    }
    for (const form of document.querySelectorAll('form[data-outbox="check_in"]')) {
      if (known) form.hidden = typeof presence === "string";
    }
    for (const el of document.querySelectorAll("[data-outbox-here]")) {
      el.hidden = known && presence !== el.dataset.outboxHere;
    }
    for (const el of document.querySelectorAll("[data-outbox-left]")) {
      el.hidden = !(known && presence !== el.dataset.outboxLeft);
    }
  }

  // The checkpoint log lists, above what the server has, this checkpoint's entries still on the phone.
  function drawLog(entries) {
    for (const box of document.querySelectorAll("[data-outbox-log]")) {
      const here = entries.filter((entry) => entry.item.checkpoint === box.dataset.outboxLog
        && (entry.kind === "observation" || entry.kind === "handover"));
      box.replaceChildren(...here.map((entry) => {
        const { what, detail } = describe(entry);
        const article = document.createElement("article");
        article.className = "entry entry-pending" + (entry.item.severity ? " severity-" + entry.item.severity : "");
        const time = document.createElement("p");
        time.className = "entry-time";
        time.textContent = shortTime(entry.item.occurred_at).slice(0, 5);
        const body = document.createElement("div");
        const head = document.createElement("p");
        const strong = document.createElement("strong");
        strong.textContent = what;
        const state = document.createElement("span");
        state.className = "badge badge-waiting";
        state.textContent = entry.status === "rejected" ? "✗" : text.waiting;
        head.append(strong, " ", state);
        const words = document.createElement("p");
        words.className = "preline";
        words.textContent = detail;
        body.append(head, words);
        article.append(time, body);
        return article;
      }));
      box.hidden = here.length === 0;
    }
  }

  // ——— Forms: what each one becomes in the outbox ———

  class Unready extends Error {}  // the form is not complete; the message says what to fix

  function value(form, name) {
    const field = form.elements.namedItem(name);
    return field && typeof field.value === "string" ? field.value.trim() : "";
  }

  function position(form) {
    const lat = parseFloat(value(form, "lat"));
    const lng = parseFloat(value(form, "lng"));
    return Number.isFinite(lat) && Number.isFinite(lng) ? { lat, lng } : {};
  }

  async function photoOf(form) {
    const input = form.querySelector('input[type="file"]');
    if (!input || !input.files || !input.files.length) return null;
    for (let i = 0; i < 150 && input.dataset.shrink === "busy"; i += 1) {
      await delay(100);  // static/js/photo.js is still shrinking it
    }
    if (input.dataset.shrink === "busy") throw new Unready(text.photoBusy);
    const file = input.files[0];
    // Read now into the database's own copy: a camera file may not be readable later.
    return new Blob([await file.arrayBuffer()], { type: file.type || "image/jpeg" });
  }

  function whenObserved(form) {
    const day = value(form, "occurred_day");
    const time = value(form, "occurred_time");
    if (!day || !time || (day === form.dataset.outboxDay && time === form.dataset.outboxTime)) {
      return new Date().toISOString();  // left as it was: now, to the second (as the server does)
    }
    if (!/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(time)) throw new Unready(text.badTime);
    return `${day}T${time}:00${offsetText()}`;
  }

  function entryFor(form, kind, item, extra) {
    const uuid = newUuid();
    return {
      uuid, kind, person, status: "waiting", created: new Date().toISOString(),
      item: { uuid, kind, occurred_at: new Date().toISOString(), ...item },
      shown: { checkpoint: form.dataset.checkpointName || "" },
      page: location.pathname, photo: null, photoUuid: null, photoDone: false, ...extra,
    };
  }

  async function entriesFrom(form, replacing) {
    const kind = form.dataset.outbox;
    const checkpoint = form.dataset.checkpoint;
    if (kind === "check_in") {
      const qr = value(form, "qr");
      return [entryFor(form, kind, { checkpoint, ...position(form), ...(qr ? { qr } : {}) })];
    }
    if (kind === "check_out") {
      return [entryFor(form, kind, { checkpoint, ...position(form) })];
    }
    if (kind === "observation" && "urgent" in form.dataset) {
      const chosen = form.querySelector('input[name="checkpoint"]:checked')
        || form.querySelector('input[type="hidden"][name="checkpoint"]');
      const entry = entryFor(form, kind, {
        checkpoint: chosen.dataset.code, category: "other", severity: "urgent",
        text: value(form, "text") || form.dataset.defaultText, ...position(form),
      });
      entry.shown.checkpoint = chosen.dataset.name;
      return [entry];
    }
    if (kind === "observation") {
      const category = form.querySelector('input[name="category"]:checked');
      const severity = form.querySelector('input[name="severity"]:checked');
      if (!category) throw new Unready(text.required.category);
      if (!value(form, "text")) throw new Unready(text.required.text);
      const item = { checkpoint, category: category.value, severity: severity ? severity.value : "info",
                     text: value(form, "text"), ...position(form) };
      item.occurred_at = whenObserved(form);
      const extra = {};
      const photo = await photoOf(form);
      if (photo) {
        Object.assign(extra, { photo, photoUuid: newUuid(), photoDone: false });
      } else if (replacing && replacing.photoUuid) {
        // Editing a refused entry: its photo (on the phone or already on the server) comes along.
        Object.assign(extra, { photo: replacing.photo, photoUuid: replacing.photoUuid, photoDone: replacing.photoDone });
      }
      if (extra.photoUuid) item.photo = extra.photoUuid;
      return [entryFor(form, kind, item, extra)];
    }
    if (kind === "handover") {
      const summary = value(form, "summary");
      if (!summary) throw new Unready(text.required.summary);
      const equipment = [];
      for (const box of form.querySelectorAll("input[type=checkbox][data-item]")) {
        const remark = value(form, box.name.replace(/^ok-/, "remark-"));
        if (!box.checked && !remark) throw new Unready(text.required.remark.replace("{item}", box.dataset.item));
        equipment.push({ item: box.dataset.item, ok: box.checked, ...(remark ? { remark } : {}) });
      }
      return [
        entryFor(form, kind, { checkpoint, summary, equipment }),
        // As the form does: hand over, then check out, if still checked in here (else nothing to do).
        entryFor(form, "check_out", { checkpoint, ...position(form) }, { doneIf: "not_checked_in" }),
      ];
    }
    if (kind === "handover_accept") {
      const remark = value(form, "remark");
      return [entryFor(form, kind, { handover: form.dataset.handover, ...(remark ? { remark } : {}) })];
    }
    throw new Error("unknown outbox form: " + kind);
  }

  // ——— What the volunteer sees after pressing the button ———

  function note(form, message, kind = "success") {
    for (const old of document.querySelectorAll("[data-outbox-note]")) old.remove();
    const p = document.createElement("p");
    p.className = "flash flash-" + kind;
    p.setAttribute("role", "status");
    p.dataset.outboxNote = message === text.queued ? "queued" : "";
    p.textContent = message;
    form.before(p);
    return p;
  }

  function showError(form, message) {
    let list = form.querySelector("[data-outbox-error]");
    if (!list) {
      list = document.createElement("ul");
      list.className = "errors outbox-error";
      list.dataset.outboxError = "";
      list.setAttribute("role", "alert");
      const button = form.querySelector('[type="submit"]');
      (button || form.lastElementChild).before(list);
    }
    const li = document.createElement("li");
    li.textContent = message;
    list.replaceChildren(li);
  }

  function clearError(form) {
    const list = form.querySelector("[data-outbox-error]");
    if (list) list.remove();
  }

  async function fates(entries) {
    const stored = new Map((await all(person)).map((entry) => [entry.uuid, entry]));
    return entries.map((entry) => stored.get(entry.uuid) || { ...entry, status: "sent" });
  }

  function afterQueued(form) {
    if ("urgent" in form.dataset) {
      showUrgentAfter(form, false);
      return;
    }
    if ("again" in form.dataset) {
      // Ready for the next entry at once: the one just made is in the list above.
      form.reset();
      prepare(form);
      note(form, text.queued);
      return;
    }
    const message = note(form, text.queued);
    if (config.urls.home && location.pathname !== config.urls.home) {
      const link = document.createElement("a");
      link.href = config.urls.home;
      link.textContent = text.home;
      message.append(" ", link);
    }
    for (const other of document.querySelectorAll("form[data-outbox]")) {
      if (!("again" in other.dataset)) other.hidden = true;
    }
  }

  function showUrgentAfter(form, sent) {
    const after = document.querySelector("[data-outbox-after]");
    if (!after) return;
    for (const old of document.querySelectorAll("[data-outbox-note]")) old.remove();
    form.hidden = true;
    for (const el of after.querySelectorAll("[data-outbox-sent]")) el.hidden = !sent;
    for (const el of after.querySelectorAll("[data-outbox-waiting]")) el.hidden = sent;
    after.hidden = false;
    after.querySelector("a, button").focus();
  }

  async function submitted(form) {
    const button = form.querySelector('[type="submit"]');
    const replacing = form.dataset.replaces ? await editedEntry(form.dataset.replaces) : null;
    let entries;
    try {
      entries = await entriesFrom(form, replacing);
    } catch (error) {
      if (!(error instanceof Unready)) throw error;
      showError(form, error.message);
      return;
    }
    clearError(form);
    if (button) button.disabled = true;
    try {
      try {
        await addAll(person, entries);
      } catch (error) {
        error.notStored = true;
        throw error;
      }
      if (replacing) {
        await remove(person, [replacing]);
        delete form.dataset.replaces;
      }
      askPersistence();
      askBackgroundSync();
      note(form, text.sending, "info");
      render();
      await Promise.race([flushNow(), delay(AFTER_SUBMIT_WAIT)]);
      const outcome = await fates(entries);
      const refused = outcome.filter((entry) => entry.status === "rejected");
      if (refused.length) {
        // Refused while the volunteer is still on the form: the form keeps what they typed, the reason
        // is beside it, and the entry leaves the outbox (sending it again unchanged would be refused again).
        await remove(person, refused);
        for (const old of document.querySelectorAll("[data-outbox-note]")) old.remove();
        showError(form, refused.map((entry) => entry.reason).join(" "));
      } else if (outcome.every((entry) => entry.status === "sent")) {
        if ("urgent" in form.dataset) {
          showUrgentAfter(form, true);
        } else {
          try {
            sessionStorage.setItem(FLASH, form.dataset.done || text.sent);
          } catch (refusedStorage) {
            // no message on the next page, nothing worse
          }
          location.assign(form.dataset.next || location.href);
          return;
        }
      } else {
        afterQueued(form);
      }
    } finally {
      if (button) button.disabled = false;
      render();
    }
  }

  async function editedEntry(uuid) {
    return (await all(person)).find((entry) => entry.uuid === uuid && entry.status === "rejected") || null;
  }

  // The observation form's "when": the current minute unless the volunteer changes it. Set here too,
  // because a page kept for offline use was drawn hours ago.
  function prepare(form) {
    const day = form.elements.namedItem("occurred_day");
    const time = form.elements.namedItem("occurred_time");
    if (!day || !time) return;
    const local = wardClock(new Date());
    const today = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
    if ([...day.options].some((option) => option.value === today)) day.value = today;
    time.value = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
    form.dataset.outboxDay = day.value;
    form.dataset.outboxTime = time.value;
  }

  // "Sửa" on a refused entry opens its form again, filled in as it was.
  async function reopen() {
    const match = /^#outbox-edit=([0-9a-f-]+)$/.exec(location.hash);
    if (!match) return;
    const entry = await editedEntry(match[1]);
    const form = entry && [...document.querySelectorAll("form[data-outbox]")]
      .find((candidate) => candidate.dataset.outbox === entry.kind && !("urgent" in candidate.dataset));
    if (!form) return;
    const item = entry.item;
    const set = (name, wanted) => {
      const field = form.elements.namedItem(name);
      if (field && wanted !== undefined) field.value = wanted;
    };
    if (entry.kind === "observation") {
      for (const name of ["category", "severity"]) {
        const option = form.querySelector(`input[name="${name}"][value="${item[name]}"]`);
        if (option) option.checked = true;
      }
      set("text", item.text);
      const local = wardClock(new Date(item.occurred_at));
      const day = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
      const days = form.elements.namedItem("occurred_day");
      if (days && [...days.options].some((option) => option.value === day)) {
        days.value = day;
        set("occurred_time", `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`);
      }
      if (entry.photoUuid) note(form, text.photoKept, "info");
    } else if (entry.kind === "handover") {
      set("summary", item.summary);
      for (const box of form.querySelectorAll("input[type=checkbox][data-item]")) {
        const was = (item.equipment || []).find((line) => line.item === box.dataset.item);
        if (was) {
          box.checked = was.ok;
          set(box.name.replace(/^ok-/, "remark-"), was.remark || "");
        }
      }
    } else if (entry.kind === "handover_accept") {
      set("remark", item.remark || "");
    }
    showError(form, entry.reason);
    form.dataset.replaces = entry.uuid;
    form.scrollIntoView();
  }

  // ——— Wiring ———

  // After duty.js (its urgent countdown stops the first submit), before the browser posts the form.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || !form.matches("form[data-outbox]")) return;
    event.preventDefault();
    if (form.dataset.outboxBusy) return;  // a double tap: one entry
    form.dataset.outboxBusy = "1";
    submitted(form)
      .catch((error) => {
        console.warn("outbox:", error);
        if (error.notStored) {
          // IndexedDB refused (storage full, private mode): nothing was kept, so the plain form goes.
          form.removeAttribute("data-outbox");
          HTMLFormElement.prototype.submit.call(form);
        }
      })
      .finally(() => delete form.dataset.outboxBusy);
  });

  // Logging out with entries still on the phone: they stay, but the person should know. Capture
  // phase, so that app.js (which tells the worker to forget the pages) sees the choice.
  document.addEventListener("submit", (event) => {
    if (unsent > 0 && event.target.matches('form[action$="/logout"]')
        && !confirm(text.logoutConfirm.replace("{n}", String(unsent)))) {
      event.preventDefault();
    }
  }, true);

  if (panel) {
    panel.querySelector("[data-outbox-retry]").addEventListener("click", () => {
      failures = 0;
      flushNow();
    });
  }
  window.addEventListener("hashchange", () => reopen());
  window.addEventListener("online", () => {
    failures = 0;
    retryAutomatically();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") retryAutomatically();
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "outbox-flush") retryAutomatically();
    });
    // Pages the volunteer needs without a connection (the log form, the handover, the urgent alert):
    // the worker keeps this person's copies. Only from a live page, never from a kept copy.
    const keep = document.querySelector("[data-keep-offline]");
    if (keep && !document.documentElement.hasAttribute("data-stored-copy") && navigator.onLine !== false) {
      navigator.serviceWorker.ready.then((registration) => {
        registration.active.postMessage({ type: "keep", urls: JSON.parse(keep.dataset.keepOffline) });
      }).catch(() => {});
    }
  }

  for (const form of document.querySelectorAll("form[data-outbox]")) prepare(form);
  try {
    const flash = sessionStorage.getItem(FLASH);
    if (flash) {
      sessionStorage.removeItem(FLASH);
      const main = document.getElementById("main");
      const p = document.createElement("p");
      p.className = "flash flash-success";
      p.setAttribute("role", "status");
      p.textContent = flash;
      (panel || main.firstElementChild).after(p);
    }
  } catch (refusedStorage) {
    // private mode without sessionStorage: no message
  }
  reopen().finally(() => render().then(() => {
    if (unsent > 0) flushNow();  // the app was opened: send what waits
  }));
})(self);
