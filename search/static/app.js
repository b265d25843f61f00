// A little JavaScript where it helps; every page works without it.
document.addEventListener("keydown", (event) => {
  const box = document.getElementById("q");
  if (event.key === "/" && box && document.activeElement !== box &&
      !["INPUT", "TEXTAREA"].includes(document.activeElement.tagName)) {
    event.preventDefault();
    box.focus();
  }
});
for (const button of document.querySelectorAll("button.copy")) {
  if (!navigator.clipboard) continue;
  button.hidden = false;
  // role="status" is a polite live region: a screen reader says what happened
  const status = document.getElementById(button.dataset.status);
  button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy).textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
      if (status) status.textContent = "Reference copied to the clipboard.";
    } catch {
      if (status) status.textContent = "Could not copy: select the reference and copy it.";
    }
  });
}
