// The issued ticket: print it once (80 mm view), then go back to the start after a while,
// only once the server answers (offline.js; the Done link goes through it too).
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
    timer = setTimeout(function () {
      if (window.kioskOffline.isOffline()) { resetIdle(); return; }
      window.kioskOffline.navigate(done.href, false);
    }, 45000);
  }
  window.kioskOffline.onBack(resetIdle);
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, resetIdle, {passive: true});
  });
  resetIdle();
})();
