// Sổ trực chốt — the service worker: keeps the app's shell on the phone and answers without a connection.
// Rendered by checkpoint/pwa/routes.py. VERSION is a hash of the shell's files, so every deploy that
// changes them installs a new shell cache and removes the old one. Nothing here depends on the user
// or the language: these bytes are the same for everyone, and any change to them is an update.
"use strict";

const VERSION = {{ version|tojson }};
const SHELL_CACHE = "shell-" + VERSION;
const PRECACHE = {{ precache|tojson }};
const OFFLINE_PAGES = {{ offline_pages|tojson }};  // language -> the offline page in it
const DEFAULT_LANGUAGE = {{ default_language|tojson }};
const SHELL = new Set(PRECACHE);
// A static file asked for without its fingerprint (…/app.css, not …/app.css?v=…): the same file of this shell.
const SHELL_BY_PATH = new Map(PRECACHE.filter((url) => url.includes("?v=")).map((url) => [url.split("?")[0], url]));
// The phone's outbox: the same store and sender as the pages use (self.Outbox).
const OUTBOX_URLS = {{ outbox.urls|tojson }};
// The file's fingerprint is in the address: a new worker never takes an older copy from the HTTP cache.
importScripts({{ outbox.script|tojson }});

// Pages kept for offline reading, only these, each in the cache of the person who saw them
// ("pages-<user key>", the key coming from the page's <meta name="user-key">).
const PAGES_PREFIX = "pages-";
// Besides reading: the forms a volunteer fills in without a connection (static/js/outbox.js keeps
// what they send), so that logging, handing over, accepting and the urgent alert work offline.
const READABLE_OFFLINE = [/^\/me$/, /^\/checkpoints\/\d+\/log$/, /^\/checkpoints\/\d+\/(observe|check-out)$/,
                          /^\/urgent$/, /^\/handovers\/\d+$/];
const LOG_PAGE = READABLE_OFFLINE[1];
// A page kept ahead of need ("keep" below) is fetched again when older than this.
const KEPT_FRESH_MS = 6 * 60 * 60 * 1000;
const SAVED_AT = "X-Saved-At";
const MAX_LOGS = 5;
const START_PAGE = "/";
const HOME_PAGE = "/me";
// Who the last page was for and in which language, so that an offline answer is for that person.
const STATE_CACHE = "pwa-state";
const STATE_URL = "/pwa-state.json";
// Live or private, never kept: the API, the ward's board, history and reports, photos, the worker.
const NEVER_CACHED = ["/api/", "/wards/", "/photos/", "/sw.js"];
const USER_KEY = /<meta name="user-key" content="([0-9a-f]+)">/;
const PAGE_LANGUAGE = /<html lang="([a-z]+)/;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // Static files and the outbox's words carry their content hash in the address (v=…), so a copy
    // the browser already holds in its HTTP cache is exactly this deploy's and need not cross the
    // network again; the offline pages have no such address and always come from the server.
    const fingerprinted = (url) => new URL(url, self.location).searchParams.has("v");
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: fingerprinted(url) ? "default" : "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    // Older shells go; a person's saved pages and the state do not depend on the shell's version.
    for (const name of await caches.keys()) {
      if (name !== SHELL_CACHE && name !== STATE_CACHE && !name.startsWith(PAGES_PREFIX)) {
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "logout") {
    event.waitUntil(forgetPerson());
  } else if (event.data && event.data.type === "keep" && Array.isArray(event.data.urls)) {
    event.waitUntil(keepPages(event.data.urls));
  }
});

// Background Sync, where the browser has it: the connection is back, perhaps with the app closed.
// An open page sends itself (it shows progress); otherwise the worker sends for the last person
// whose page it saw, and only if the session is still that person's (Outbox checks).
self.addEventListener("sync", (event) => {
  if (event.tag === "outbox") {
    event.waitUntil(sendOutbox());
  }
});

async function sendOutbox() {
  const windows = await self.clients.matchAll({ type: "window" });
  if (windows.length) {
    windows.forEach((client) => client.postMessage({ type: "outbox-flush" }));
    return;
  }
  const { key } = await readState();
  if (!key) {
    return;
  }
  try {
    await self.Outbox.flush({ person: key, urls: OUTBOX_URLS, token: null, refreshed: false });
  } catch (error) {
    if (!(error instanceof self.Outbox.Blocked)) {
      throw error;  // no answer: the browser tries again later
    }
    // Blocked (logged out, someone else): nothing to retry until the person logs in again.
  }
}

// The pages a volunteer will need offline, fetched now while there is a connection, into the cache
// of the person they turn out to be for (learnFrom reads the page's user key, as for navigations).
async function keepPages(paths) {
  const epoch = personEpoch;
  const { key } = await readState();
  const cache = key ? await caches.open(PAGES_PREFIX + key) : null;
  for (const path of paths) {
    const url = new URL(path, self.location);
    if (url.origin !== self.location.origin || url.search || !READABLE_OFFLINE.some((page) => page.test(url.pathname))) {
      continue;
    }
    const saved = cache && await cache.match(url.pathname);
    if (saved && Date.now() - Number(saved.headers.get(SAVED_AT) || 0) < KEPT_FRESH_MS) {
      continue;
    }
    try {
      await learnFrom(url, await fetch(url, { credentials: "same-origin" }), epoch);
    } catch (offline) {
      return;
    }
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || request.headers.has("HX-Request")) {
    return;  // other sites, and htmx fragments: always live, never kept
  }
  const navigation = request.mode === "navigate";
  if (NEVER_CACHED.some((prefix) => url.pathname.startsWith(prefix))) {
    if (navigation) {
      event.respondWith(fetch(request).catch(() => offlinePage()));
    }
    return;
  }
  if (SHELL.has(url.pathname + url.search)) {
    event.respondWith(fromShell(request));
  } else if (!url.search && SHELL_BY_PATH.has(url.pathname)) {
    event.respondWith(fromShell(new Request(SHELL_BY_PATH.get(url.pathname))));
  } else if (navigation) {
    event.respondWith(networkFirst(event));
  }
});

async function fromShell(request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request, { ignoreVary: true });
  if (cached) {
    return cached;
  }
  const response = await fetch(request);
  if (response.ok) {
    await cache.put(request, response.clone());
  }
  return response;
}

async function networkFirst(event) {
  const url = new URL(event.request.url);
  let response;
  try {
    response = await fetch(event.request);
  } catch (offline) {
    return (await savedPage(url)) || offlinePage();
  }
  event.waitUntil(learnFrom(url, response.clone()));
  return response;
}

// Every page that comes from the server says who it is for (or that nobody is logged in) and in
// which language. Another person, or nobody, means the saved pages of anyone else go at once.
async function learnFrom(url, response, epoch = null) {
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok || response.redirected || !type.startsWith("text/html") || isOfflinePage(url)) {
    return;
  }
  const html = await response.text();
  if (epoch !== null && epoch !== personEpoch) {
    return;  // fetched ahead for someone who has logged out since
  }
  const key = (html.match(USER_KEY) || [])[1] || null;
  const language = (html.match(PAGE_LANGUAGE) || [])[1];
  const state = await readState();
  await writeState({ key, language: language in OFFLINE_PAGES ? language : state.language });
  await forgetPagesExcept(key);
  if (key && !url.search && READABLE_OFFLINE.some((page) => page.test(url.pathname))) {
    const cache = await caches.open(PAGES_PREFIX + key);
    const copy = withBody(response, html);
    copy.headers.set(SAVED_AT, String(Date.now()));  // the phone's own clock, for KEPT_FRESH_MS
    await cache.put(url.pathname, copy);
    await keepNewestLogs(cache);
  }
}

async function savedPage(url) {
  const { key } = await readState();
  if (!key || !(await caches.has(PAGES_PREFIX + key))) {
    return null;
  }
  const cache = await caches.open(PAGES_PREFIX + key);
  if (url.pathname === START_PAGE && !url.search) {
    // The installed app opens at "/": offline, that is the volunteer's own saved shift, if kept.
    return (await cache.match(HOME_PAGE)) ? Response.redirect(HOME_PAGE, 302) : null;
  }
  const saved = url.search ? null : await cache.match(url.pathname);
  if (!saved) {
    return null;
  }
  // Marked, so that static/js/app.js says it is a saved copy: a stored page never passes for a live one.
  return withBody(saved, (await saved.text()).replace("<html", "<html data-stored-copy"));
}

// The page's own headers (its Content-Security-Policy above all) with a new body; the sizes and
// encodings of the old one no longer apply.
function withBody(response, html) {
  const headers = new Headers(response.headers);
  for (const name of ["Content-Length", "Content-Encoding", "Transfer-Encoding"]) {
    headers.delete(name);
  }
  return new Response(html, { status: response.status, statusText: response.statusText, headers });
}

async function offlinePage() {
  const { language } = await readState();
  const cache = await caches.open(SHELL_CACHE);
  const page = OFFLINE_PAGES[language] || OFFLINE_PAGES[DEFAULT_LANGUAGE];
  return (await cache.match(page, { ignoreVary: true })) || Response.error();
}

function isOfflinePage(url) {
  return Object.values(OFFLINE_PAGES).some((page) => new URL(page, self.location).pathname === url.pathname);
}

async function keepNewestLogs(cache) {
  // Keys come back oldest first; putting a page again moves it to the end.
  const logs = (await cache.keys()).filter((request) => LOG_PAGE.test(new URL(request.url).pathname));
  for (const old of logs.slice(0, Math.max(0, logs.length - MAX_LOGS))) {
    await cache.delete(old);
  }
}

// Counts logouts, so that pages fetched ahead for a person who has logged out since are not kept.
let personEpoch = 0;

async function forgetPerson() {
  personEpoch += 1;
  const state = await readState();
  await writeState({ key: null, language: state.language });
  await forgetPagesExcept(null);
}

async function forgetPagesExcept(key) {
  for (const name of await caches.keys()) {
    if (name.startsWith(PAGES_PREFIX) && name !== PAGES_PREFIX + key) {
      await caches.delete(name);
    }
  }
}

async function readState() {
  const saved = await (await caches.open(STATE_CACHE)).match(STATE_URL);
  const state = saved ? await saved.json() : {};
  return { key: state.key || null, language: state.language || DEFAULT_LANGUAGE };
}

async function writeState(state) {
  const body = JSON.stringify(state);
  await (await caches.open(STATE_CACHE)).put(STATE_URL, new Response(body, { headers: { "Content-Type": "application/json" } }));
}
