// The reminder plan shows only the times of the way of reminding chosen; without this
// script every way's times show, and the server reads only the chosen one's.
"use strict";

(() => {
  const form = document.querySelector("form.reminder-plan");
  if (!form) return;

  function showChosen() {
    const chosen = form.querySelector("input[name=mode]:checked");
    for (const part of form.querySelectorAll("[data-mode]")) {
      part.hidden = chosen !== null && part.dataset.mode !== chosen.value;
    }
  }

  form.addEventListener("change", (event) => {
    if (event.target.name === "mode") showChosen();
  });
  showChosen();
})();
