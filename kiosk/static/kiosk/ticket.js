// The issued ticket: print it once (80 mm view), then go back to the start after a while.
(function () {
  "use strict";
  const ticket = document.getElementById("ticket");
  if (ticket.dataset.autoprint === "1") {
    // Drop ?print=1 so a reload does not print a second ticket.
    const url = new URL(window.location.href);
    url.searchParams.delete("print");
    window.history.replaceState(null, "", url.toString());
    window.setTimeout(function () { window.print(); }, 300);
  }
  const done = document.getElementById("done");
  let timer = null;
  function resetIdle() {
    clearTimeout(timer);
    timer = setTimeout(function () { window.location.assign(done.href); }, 45000);
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, resetIdle, {passive: true});
  });
  resetIdle();
})();
