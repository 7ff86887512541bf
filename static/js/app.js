// Sổ trực chốt — the little glue htmx cannot do by itself.
// Every htmx request carries the CSRF token from <meta name="csrf-token"> in the X-CSRFToken header.
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.content;
  }
});
