// Sổ trực chốt — the report's Print button. It stays hidden until this script runs, since
// printing from a button needs it (the CSP forbids inline handlers); Ctrl+P works regardless.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
