// The kiosk's own "cannot issue tickets now" state. When the server cannot be reached the
// kiosk keeps its page (never a browser error page), shows the #offline notice and probes
// the cheap health endpoint with backoff; when it answers, the notice goes and the kiosk
// works again. Loaded before kiosk.js and ticket.js, which use window.kioskOffline.
(function () {
  "use strict";
  const notice = document.getElementById("offline");
  const healthUrl = notice.dataset.healthUrl;
  const FIRST_RETRY_MS = 1000;
  const LONGEST_RETRY_MS = 8000;
  const REQUEST_TIMEOUT_MS = 8000;
  let offline = false;
  let retryMs = FIRST_RETRY_MS;
  let resumeUrl = "";
  const backListeners = [];

  // fetch that gives up after REQUEST_TIMEOUT_MS (a hung server counts as unreachable).
  function fetchOrTimeout(url, options) {
    const abort = new AbortController();
    const timer = setTimeout(function () { abort.abort(); }, REQUEST_TIMEOUT_MS);
    return fetch(url, Object.assign({signal: abort.signal}, options))
      .finally(function () { clearTimeout(timer); });
  }

  // A response a proxy or a dead upstream gives: a gateway error, or a page that is not
  // the API's JSON (the API answers its own errors, 4xx included, in JSON).
  function unreachableResponse(status, isJson) {
    if (status === 502 || status === 503 || status === 504) return true;
    return !isJson && status < 400;
  }

  async function reachable() {
    try {
      const response = await fetchOrTimeout(healthUrl, {cache: "no-store", credentials: "omit"});
      if (!response.ok) return false;
      const body = await response.json();
      return Boolean(body && body.ok);
    } catch (e) {
      return false;
    }
  }

  function goOffline() {
    notice.hidden = false;
    document.body.classList.add("offline");
    if (offline) return;
    offline = true;
    retryMs = FIRST_RETRY_MS;
    setTimeout(retry, retryMs);
  }

  function comeBack() {
    offline = false;
    notice.hidden = true;
    document.body.classList.remove("offline");
    backListeners.forEach(function (listener) { listener(); });
    if (resumeUrl) window.location.assign(resumeUrl);
  }

  async function retry() {
    if (await reachable()) { comeBack(); return; }
    retryMs = Math.min(retryMs * 2, LONGEST_RETRY_MS);
    setTimeout(retry, retryMs);
  }

  // Go to url only when the server answers; otherwise stay and show the notice. With
  // resume, the kiosk goes there by itself once the server is back (an issued ticket).
  async function navigate(url, resume) {
    if (await reachable()) { window.location.assign(url); return; }
    if (resume) resumeUrl = url;
    goOffline();
  }

  // Same-origin links of the page (languages, Done, Staff) go through navigate().
  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.origin !== window.location.origin || event.defaultPrevented) return;
    event.preventDefault();
    navigate(link.href, false);
  });

  window.kioskOffline = {
    fetch: fetchOrTimeout,
    unreachableResponse: unreachableResponse,
    goOffline: goOffline,
    isOffline: function () { return offline; },
    navigate: navigate,
    onBack: function (listener) { backListeners.push(listener); },
  };
})();
