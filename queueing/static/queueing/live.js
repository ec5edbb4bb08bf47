/* Live updates for staff screens: the office WebSocket with reconnect and backoff,
   plus a 15 s poll as a fallback. Any message means "something changed": the page
   refetches its own state, so a missed or out-of-order event cannot leave it stale. */
(function () {
  "use strict";
  var POLL_MS = 15000, MAX_BACKOFF_MS = 30000;

  window.liveOffice = function (officeId, onChange, statusEl) {
    var attempt = 0, socket = null, pending = null;

    function say(ja, en) {
      if (statusEl) statusEl.innerHTML = ja + ' <span lang="en">' + en + "</span>";
    }
    function changed() {
      if (pending) return;
      pending = setTimeout(function () { pending = null; onChange(); }, 100);
    }
    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      try {
        socket = new WebSocket(scheme + location.host + "/ws/office/" + officeId + "/");
      } catch (e) {
        retry();
        return;
      }
      socket.onopen = function () { attempt = 0; say("リアルタイム更新中", "Live"); };
      socket.onmessage = function () { changed(); };
      socket.onclose = function () { socket = null; retry(); };
      socket.onerror = function () { /* onclose follows */ };
    }
    function retry() {
      var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempt));
      delay = delay / 2 + Math.random() * delay / 2;  // jitter: screens do not reconnect in step
      attempt += 1;
      say("再接続を待っています (15秒ごとに更新)", "Reconnecting; refreshing every 15 s");
      setTimeout(connect, delay);
    }
    setInterval(onChange, POLL_MS);
    connect();
    onChange();
  };
})();
