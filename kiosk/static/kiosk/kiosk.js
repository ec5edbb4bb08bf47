// Kiosk start screen: issue a walk-in ticket or check in a booking through the API
// (device key), show errors in the chosen language, return to start when idle. When the
// server cannot be reached, offline.js shows the kiosk's own notice and brings it back.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("kiosk-config").textContent);
  const text = JSON.parse(document.getElementById("kiosk-messages").textContent);
  const message = document.getElementById("message");
  const walkInOffer = document.getElementById("walk-in-offer");
  const walkIn = document.getElementById("walk-in");
  const assistance = document.getElementById("assistance");
  const reference = document.getElementById("reference");
  const offline = window.kioskOffline;
  const RETRY_AFTER_MS = 1000;  // before an issue whose answer did not arrive is tried again
  let busy = false;

  function show(msg, offerWalkIn) {
    message.textContent = msg;
    message.hidden = !msg;
    walkInOffer.hidden = !offerWalkIn;
    if (offerWalkIn) walkIn.textContent = text.walk_in;
  }

  function setBusy(on) {
    busy = on;
    document.body.classList.toggle("busy", on);
  }

  function openTicket(body) {
    const url = config.ticketUrl.replace("TOKEN", encodeURIComponent(body.token));
    offline.navigate(url + "?lang=" + encodeURIComponent(config.lang) + "&print=1", true);
  }

  // One key per press (Idempotency-Key): when the answer is lost on the way back, the
  // retry with the same key gets the ticket already issued, never a second one.
  function requestKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);  // crypto.randomUUID needs HTTPS; kiosks may use plain HTTP
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  async function post(url, payload, key) {
    const headers = {"Content-Type": "application/json", "Authorization": "Device " + config.key};
    if (key) headers["Idempotency-Key"] = key;
    const response = await offline.fetch(url, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(payload),
      credentials: "omit",
    });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    return {status: response.status, body: body || {},
            unreachable: offline.unreachableResponse(response.status, body !== null)};
  }

  // The server did not answer (network error, gateway error, a page that is not the API's):
  // the kiosk's own notice instead of an error message, until offline.js sees it back.
  function serverGone() {
    show("", false);
    offline.goOffline();
  }

  function errorText(result, checkIn) {
    const code = result.body && result.body.code;
    if (result.status === 429 || code === "throttled") return text.throttled;
    if (code === "kiosk_paused") {
      return text.kiosk_paused + (result.body.detail ? " " + result.body.detail : "");
    }
    if (code && text[code]) return text[code];
    if (result.status === 403) return text.forbidden;
    if (checkIn && (result.status === 404 || result.status === 405)) return text.check_in_unavailable;
    if (checkIn && code === "invalid") return text.bad_reference;
    return text.error;
  }

  async function issue(serviceId) {
    if (busy) return;
    setBusy(true);
    show(text.issuing, false);
    const payload = {
      service: serviceId,
      priority: assistance.getAttribute("aria-pressed") === "true" ? 1 : 0,
      language: config.lang,
    };
    const key = requestKey();
    try {
      let result;
      try {
        result = await post(config.issueUrl, payload, key);
      } catch (e) {
        result = {unreachable: true};
      }
      if (result.unreachable) {  // once more, the same request: its ticket if it was issued
        await new Promise(function (resolve) { setTimeout(resolve, RETRY_AFTER_MS); });
        result = await post(config.issueUrl, payload, key);
      }
      if (result.status === 201) { openTicket(result.body); return; }
      if (result.unreachable) serverGone(); else show(errorText(result, false), false);
    } catch (e) {
      serverGone();
    }
    setBusy(false);
  }

  async function checkIn(value) {
    if (busy) return;
    const ref = value.trim();
    reference.value = "";
    if (!ref) { show(text.empty_reference, false); return; }
    if (ref.length > 200) { show(text.bad_reference, false); return; }
    setBusy(true);
    show(text.issuing, false);
    try {
      const result = await post(config.checkInUrl, {reference: ref, language: config.lang});
      if (result.status === 201) { openTicket(result.body); return; }
      // The server says whether a walk-in ticket can be had now (appointments'
      // WALK_IN_AFTER refusals): offered only then, else what to do instead.
      const offer = result.body.walk_in;
      if (result.unreachable) serverGone();
      else if (offer && !offer.possible) show(errorText(result, true) + " " + offer.advice, false);
      else show(errorText(result, true), Boolean(offer && offer.possible));
    } catch (e) {
      serverGone();
    }
    setBusy(false);
  }

  document.querySelectorAll("button.service").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!button.disabled) issue(Number(button.dataset.service));
    });
  });
  assistance.addEventListener("click", function () {
    const on = assistance.getAttribute("aria-pressed") !== "true";
    assistance.setAttribute("aria-pressed", on ? "true" : "false");
  });
  document.getElementById("check-in-form").addEventListener("submit", function (event) {
    event.preventDefault();
    checkIn(reference.value);
  });
  walkIn.addEventListener("click", function () {
    show("", false);
    document.getElementById("choose-heading").scrollIntoView({behavior: "smooth"});
  });

  // A barcode scanner types like a keyboard and ends with Enter: keep its input
  // landing in the reference field unless a button has focus.
  document.addEventListener("keydown", function (event) {
    if (reference.disabled || document.activeElement === reference) return;
    if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      reference.focus();
    }
  });

  // Back to the start (Japanese, no assistance) after inactivity; also refreshes
  // the waiting counts and the paused state. Not while the server is away.
  let idleTimer = null;
  function resetIdle() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () {
      if (busy || offline.isOffline()) { resetIdle(); return; }
      offline.navigate(config.startUrl, false);
    }, config.idleSeconds * 1000);
  }
  offline.onBack(resetIdle);
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, resetIdle, {passive: true});
  });
  resetIdle();
})();
