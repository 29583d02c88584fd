// Keyboard shortcuts of the review pages. Every choice is also a plain radio button or link.
(function () {
  "use strict";
  const form = document.getElementById("decide");
  const typing = (e) => /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) && e.target.type !== "radio";

  if (!form) {  // the queue: N opens the next ballot
    const next = document.getElementById("next");
    document.addEventListener("keydown", (e) => {
      if (!typing(e) && next && (e.key === "n" || e.key === "N")) { next.click(); }
    });
    return;
  }
  if (form.classList.contains("readonly")) { return; }

  let rows = Array.from(form.querySelectorAll("tr.attention"));
  if (rows.length === 0) { rows = Array.from(form.querySelectorAll("tr[data-person]")); }
  let active = 0;

  function show(index) {
    rows.forEach((r) => r.classList.remove("active"));
    document.querySelectorAll(".row-attn.active").forEach((r) => r.classList.remove("active"));
    if (!rows.length) { return; }
    active = Math.max(0, Math.min(rows.length - 1, index));
    const row = rows[active];
    row.classList.add("active");
    row.scrollIntoView({ block: "nearest" });
    const mark = document.querySelector('.row-attn[data-person="' + row.dataset.person + '"]');
    if (mark) {
      mark.classList.add("active");
      const sheet = mark.closest(".frame");
      if (sheet) {  // bring the row of the scanned page into view too
        const box = mark.getBoundingClientRect();
        if (box.top < 0 || box.bottom > window.innerHeight) {
          window.scrollBy({ top: box.top - window.innerHeight / 3 });
        }
      }
    }
  }

  function choose(column) {  // the row's choices in the order of the table's columns
    const row = rows[active];
    if (!row) { return; }
    const input = row.querySelectorAll("td.choice input")[column];
    if (input) { input.checked = true; }
    const genuine = form.querySelector('input[name="ballot"][data-genuine]');
    if (genuine && !form.querySelector('input[name="ballot"]:checked')) { genuine.checked = true; }
    show(active + 1);
  }

  rows.forEach((row, i) => row.addEventListener("click", () => show(i)));
  document.addEventListener("keydown", (e) => {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    const key = e.key.toLowerCase();
    const ballot = /^[a-z]$/.test(key) &&  // the ballot choice whose shortcut this is
      form.querySelector('input[name="ballot"][data-key="' + key.toUpperCase() + '"]');
    if (key >= "1" && key <= "4") { choose(Number(key) - 1); }
    else if (ballot) { ballot.checked = true; }
    else if (key === "arrowdown" || key === "j") { show(active + 1); }
    else if (key === "arrowup") { show(active - 1); }
    else if (key === "enter") { document.getElementById("save-next").click(); }
    else if (key === "s") { document.getElementById("save").click(); }
    else if (key === "n") { document.getElementById("skip").click(); }
    else { return; }
    e.preventDefault();
  });
  show(0);
})();
