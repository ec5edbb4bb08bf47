// Resident status page: its ticket's status pushed over /ws/ticket/<token>/ through the
// shared socket client (live/static/live/socket.js: backoff, resync, offline mark); while
// the socket is down the status API is polled every 30 s (some phone networks block
// WebSockets). A full-screen call with vibration and sound.
import { connectLive } from "../live/socket.js";

const config = JSON.parse(document.getElementById("status-config").textContent);
const text = JSON.parse(document.getElementById("status-messages").textContent);
const el = function (id) { return document.getElementById(id); };
const FINISHED = ["completed", "cancelled", "no_show"];
let current = config.initial;
let version = current.version || 0;
let pollTimer = null;
let audio = null;
// The counter already announced, so a repeated snapshot does not buzz again.
let alertedCounter = current.status === "called" ? current.counter : null;

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, function (_, k) {
    return values[k] === undefined || values[k] === null ? "" : String(values[k]);
  });
}

function render(data) {
  current = Object.assign({}, current, data);
  const status = current.status;
  el("status").dataset.status = status;
  el("ticket-number").textContent = current.ticket;
  if (current.service) el("service").textContent = current.service;
  el("status-text").textContent = fill(text[status] || "", {counter: current.counter});
  el("waiting-facts").hidden = status !== "waiting";
  // After a hand-off: the step the ticket now waits for, and where it happens.
  const next = current.next_step;
  el("next-step").hidden = !next;
  if (next) {
    el("next-step-name").textContent = fill(text.next_step, {step: next.name});
    el("next-step-where").hidden = !next.counters.length;
    el("next-step-where").textContent = fill(text.next_where, {counters: next.counters.join(", ")});
  }
  el("people-ahead").textContent = current.people_ahead;
  el("estimated-wait").textContent = current.estimated_wait_minutes === null
    ? text.unknown_wait : fill(text.minutes, {minutes: current.estimated_wait_minutes});
  el("leave-row").hidden = !(status === "waiting" || status === "held");
  // Near the front: back to the lobby, "I am on my way", or give the ticket up.
  el("come-back").hidden = !(status === "waiting" && current.near_turn);
  el("on-my-way-row").hidden = !!current.on_my_way;
  el("on-my-way-done").hidden = !current.on_my_way;
  el("notice-form").hidden = !!current.notified || status !== "waiting";
  el("notice-done").hidden = !current.notified || FINISHED.indexOf(status) >= 0;
  // The sound button and what the phone allows in the background: while there is a call to wait for.
  el("alerts").hidden = FINISHED.indexOf(status) >= 0;
  // After the visit: the one-tap satisfaction rating, once.
  el("rating-form").hidden = status !== "completed" || !!current.rated;
  el("rating-done").hidden = !current.rated;
  const called = status === "called";
  el("called").hidden = !called;
  if (called) {
    el("called-number").textContent = current.ticket;
    el("called-text").textContent = fill(text.called, {counter: current.counter});
    if (alertedCounter !== current.counter || data.recalled) {
      alertResident();
      el("called-ok").focus();  // an alertdialog takes the focus, so screen readers read it out
    }
    alertedCounter = current.counter;
  } else {
    alertedCounter = null;
  }
}

function alertResident() {
  if (navigator.vibrate) {
    try { navigator.vibrate([400, 200, 400, 200, 400]); } catch (e) { /* not allowed */ }
  }
  beep();
}

function beep() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    audio = audio || new Ctx();
    const t = audio.currentTime;
    [0, 0.45].forEach(function (offset, i) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = i === 0 ? 880 : 660;  // a two-tone chime
      gain.gain.setValueAtTime(0.0001, t + offset);
      gain.gain.exponentialRampToValueAtTime(0.4, t + offset + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + offset + 0.4);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + offset);
      osc.stop(t + offset + 0.42);
    });
  } catch (e) { /* the browser does not allow sound yet */ }
}

function setConnection(live) {
  el("connection").textContent = live ? text.live : text.reconnecting;
  el("connection").dataset.live = live ? "1" : "0";
}

function accept(msg) {
  if (typeof msg.version === "number") {
    if (msg.version < version) return;  // stale: a newer state is already shown
    version = msg.version;
  }
  if (msg.type === "snapshot" || msg.type === "status") {
    render(msg.data || {});
  } else if (msg.type === "event" && msg.event) {
    const ev = msg.event;  // this ticket's own change, before its new status is read
    const update = {status: ev.status || current.status};
    if ("counter" in ev) update.counter = ev.counter;
    if (ev.action === "recalled") update.recalled = true;
    if (update.status !== "waiting") update.people_ahead = 0;
    render(update);
  }
}

async function poll() {
  try {
    const response = await fetch(config.statusUrl, {credentials: "omit"});
    if (response.ok) {
      const data = await response.json();
      if (typeof data.version !== "number" || data.version >= version) {
        version = data.version || version;
        render(data);
      }
    }
  } catch (e) { /* offline: try again at the next poll */ }
}

function startPolling() {
  if (pollTimer) return;
  poll();
  pollTimer = setInterval(poll, config.pollSeconds * 1000);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

el("sound").addEventListener("click", function () {
  beep();  // a tap unlocks sound on phones
  if (navigator.vibrate) { try { navigator.vibrate(100); } catch (e) { /* ignore */ } }
  el("connection").textContent = text.sound_on;
});
el("called-ok").addEventListener("click", function () { el("called").hidden = true; });

const dialog = el("leave-dialog");
function askToLeave() {
  if (typeof dialog.showModal === "function") dialog.showModal();
  else dialog.setAttribute("open", "");
}
el("leave").addEventListener("click", askToLeave);
el("give-up").addEventListener("click", askToLeave);  // the same cancellation as "I am leaving"

// POST to one of the ticket's resident operations; the new status, or {error: code}.
async function postTicket(url, body) {
  try {
    const response = await fetch(url, {
      method: "POST", credentials: "omit",
      headers: body ? {"Content-Type": "application/json"} : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(function () { return {}; });
    return response.ok ? data : {error: data.code || "error"};
  } catch (e) {
    return {error: "offline"};
  }
}

el("on-my-way").addEventListener("click", async function () {
  const data = await postTicket(config.onMyWayUrl, null);
  if (data.error) { el("status-text").textContent = text.on_my_way_failed; return; }
  render(data);
  el("on-my-way-done").focus();
});

el("notice-form").addEventListener("submit", async function (e) {
  e.preventDefault();
  const input = el("notice-email");
  const data = await postTicket(config.noticeUrl, {email: input.value});
  const error = el("notice-error");
  if (data.error) {
    error.textContent = text["notice_" + data.error] || text.notice_error;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  error.hidden = true;
  input.removeAttribute("aria-invalid");
  input.value = "";
  render(data);
});
document.querySelectorAll(".rating-score").forEach(function (button) {
  button.addEventListener("click", async function () {
    const comment = el("rating-comment");
    const error = el("rating-error");
    const data = await postTicket(config.ratingUrl,
                                  {score: Number(button.dataset.score), comment: comment.value});
    if (data.error === "already_rated") {
      render({rated: true});
    } else if (data.error) {
      error.textContent = text["rating_" + data.error] || text.rating_error;
      error.hidden = false;
      if (data.error === "individual_number" || data.error === "comment_too_long") {
        comment.setAttribute("aria-invalid", "true");
        comment.value = "";  // never kept on screen (an Individual Number is not echoed)
        comment.focus();
      }
      return;
    } else {
      render(data);
    }
    error.hidden = true;
    comment.removeAttribute("aria-invalid");
    el("rating-done").focus();
  });
});
dialog.addEventListener("close", async function () {
  if (dialog.returnValue !== "confirm") return;
  try {
    const response = await fetch(config.leaveUrl, {method: "POST", credentials: "omit"});
    const body = await response.json().catch(function () { return {}; });
    if (response.ok || body.code === "closed") {
      render({status: body.status || "cancelled"});
      return;
    }
  } catch (e) { /* fall through */ }
  el("status-text").textContent = text.leave_failed;
});

const live = connectLive({
  path: config.wsPath,
  onFrame: accept,
  onLive: function (on) {
    setConnection(on);
    if (on) stopPolling(); else startPolling();
    if (!on && FINISHED.indexOf(current.status) >= 0) live.close();  // nothing more to follow
  },
});
if (!("WebSocket" in window)) startPolling();
render({});
