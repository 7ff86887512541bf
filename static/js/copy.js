// Sổ trực chốt — "Copy the link" buttons. Hidden until this script runs (the CSP forbids inline
// handlers); without it the read-only field still selects its whole text when tapped.
for (const field of document.querySelectorAll("[data-copy-source]")) {
  field.addEventListener("focus", () => field.select());
}
for (const button of document.querySelectorAll("[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  if (!field) continue;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      document.execCommand("copy"); // older browsers, or a page not served over HTTPS
    }
    button.textContent = button.dataset.copied;
    setTimeout(() => { button.textContent = label; }, 2000);
  });
}
