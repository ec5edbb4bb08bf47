/* Supervisor dashboard: refetch the live section on any office event, or every 15 s. */
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  function refresh() {
    fetch(live.dataset.url, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) live.innerHTML = html; })
      .catch(function () { /* keep the last figures; the poll tries again */ });
  }
  window.liveOffice(live.dataset.office, refresh, document.getElementById("connection"));
})();
