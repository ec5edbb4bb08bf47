/* Lobby display: snapshot + versioned events over /ws/display/<key>/, chime and speech.
 *
 * Runs for days unattended: reconnects with backoff, resyncs from a snapshot on
 * every (re)connect, when an event's version shows a gap, a few seconds after
 * events that change waiting counts, and once a minute (estimates move with time,
 * and a channel layer that lost messages while Redis was down shows no gap until
 * the next event). Numbers only: the server never sends names.
 */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("display-config").textContent);
  var shown = config.service_ids.length ? new Set(config.service_ids) : null;
  var RECENT = 8, BLINK_MS = 6400, PERIODIC_RESYNC_MS = 60000, COUNT_RESYNC_MS = 3000;
  var state = { version: null, calling: [], recent: [], services: [] };
  var socket = null, attempt = 0, countTimer = null;

  // Announcement text per language: 「受付番号 A12番の方、3番窓口へお越しください」
  var PHRASES = {
    "ja": function (n, c) { return "受付番号 " + n + "番の方、" + c + "番窓口へお越しください"; },
    "ja-easy": function (n, c) { return "ばんごう " + n + " の かた、" + c + "ばん まどぐち へ きて ください"; },
    "en": function (n, c) { return "Number " + n + ", please come to counter " + c; },
    "zh-hans": function (n, c) { return "请 " + n + " 号到 " + c + " 号窗口"; },
    "ko": function (n, c) { return n + "번 고객님, " + c + "번 창구로 오십시오"; },
    "vi": function (n, c) { return "Số " + n + ", xin mời đến quầy số " + c; },
    "pt-br": function (n, c) { return "Número " + n + ", por favor dirija-se ao guichê " + c; },
    "es": function (n, c) { return "Número " + n + ", por favor acuda a la ventanilla " + c; }
  };
  var VOICE_LANG = { "ja": "ja-JP", "ja-easy": "ja-JP", "en": "en-US", "zh-hans": "zh-CN",
                     "ko": "ko-KR", "vi": "vi-VN", "pt-br": "pt-BR", "es": "es-ES" };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function isShown(serviceId) { return !shown || serviceId == null || shown.has(serviceId); }
  function spoken(number) { return number.replace(/^([A-Z]+)0*(\d)/, "$1$2"); } // A012 -> A12

  // --- rendering ------------------------------------------------------------------------
  function render() {
    var list = $("calling");
    list.textContent = "";
    state.calling.forEach(function (c) {
      var li = el("li", c.fresh && Date.now() - c.fresh < BLINK_MS ? "fresh" : "");
      li.appendChild(el("span", "number", c.ticket));
      var counter = el("span", "counter", c.counter + "番窓口");
      var en = el("small", "", "Counter " + c.counter);
      en.lang = "en";
      counter.appendChild(en);
      li.appendChild(counter);
      list.appendChild(li);
    });
    $("calling-empty").hidden = state.calling.length > 0;
    var recent = $("recent");
    recent.textContent = "";
    state.recent.slice(0, RECENT).forEach(function (r) {
      var li = el("li");
      li.appendChild(el("span", "", r.ticket));
      li.appendChild(el("span", "", r.counter != null ? r.counter + "番" : ""));
      recent.appendChild(li);
    });
    var body = $("queues");
    body.textContent = "";
    state.services.forEach(function (s) {
      var tr = el("tr");
      var name = el("td");
      var names = config.service_names[String(s.service_id)] || {};
      name.appendChild(document.createTextNode(names.ja || s.name));
      var second = config.languages.filter(function (l) { return l !== "ja"; })[0];
      if (second && names[second] && names[second] !== names.ja) {
        var sub = el("span", "lang2", names[second]);
        sub.lang = second;
        name.appendChild(sub);
      }
      tr.appendChild(name);
      tr.appendChild(el("td", "n", s.waiting + "人"));
      const known = s.waiting && s.estimated_wait_minutes !== null && s.estimated_wait_minutes !== undefined;
      tr.appendChild(el("td", "n", known ? "約" + s.estimated_wait_minutes + "分" : "—"));
      body.appendChild(tr);
    });
  }

  function applySnapshot(version, data) {
    state.version = version;
    var fresh = {};
    state.calling.forEach(function (c) { if (c.fresh) fresh[c.ticket] = c.fresh; });
    state.calling = data.calling.filter(function (c) { return isShown(c.service_id); })
      .map(function (c) { return { ticket: c.ticket, counter: c.counter, service_id: c.service_id, fresh: fresh[c.ticket] }; });
    state.recent = data.recent_calls.filter(function (r) { return isShown(r.service_id); });
    state.services = data.services;
    render();
  }

  function applyEvent(e) {
    if (e.action === "counter_status" || !isShown(e.service_id)) return;
    state.calling = state.calling.filter(function (c) { return c.ticket !== e.ticket; });
    if (e.action === "called" || e.action === "recalled" || e.action === "resumed") {
      state.calling.unshift({ ticket: e.ticket, counter: e.counter, service_id: e.service_id, fresh: Date.now() });
      state.recent.unshift({ ticket: e.ticket, counter: e.counter, service_id: e.service_id });
      state.recent = state.recent.slice(0, 20);
      announce(e.ticket, e.counter);
      setTimeout(render, BLINK_MS + 50);
    } else if (e.action === "started" && e.counter != null) {
      state.calling.unshift({ ticket: e.ticket, counter: e.counter, service_id: e.service_id });
    }
    render();
    // Waiting counts and estimates come from the snapshot selector, not from deltas.
    clearTimeout(countTimer);
    countTimer = setTimeout(resync, COUNT_RESYNC_MS);
  }

  // --- announcements: one at a time, chime then speech in each language -----------------
  var queue = [], speaking = false, audio = null;
  function audioContext() {
    if (!audio && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    }
    return audio;
  }
  function chime() {
    var ctx = audioContext();
    if (!ctx || ctx.state !== "running") return 0;
    [[880, 0], [659.25, 0.45]].forEach(function (tone) {
      var osc = ctx.createOscillator(), gain = ctx.createGain(), t = ctx.currentTime + tone[1];
      osc.type = "sine";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.4, t + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.9);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 1);
    });
    return 1300;
  }
  function say(text, lang) {
    return new Promise(function (resolve) {
      if (!("speechSynthesis" in window)) return resolve();
      var u = new SpeechSynthesisUtterance(text);
      u.lang = VOICE_LANG[lang] || lang;
      var done = false, finish = function () { if (!done) { done = true; resolve(); } };
      u.onend = finish;
      u.onerror = finish;
      setTimeout(finish, 12000); // a voice that never reports its end must not stall the queue
      window.speechSynthesis.speak(u);
    });
  }
  function announce(number, counter) {
    queue.push({ number: number, counter: counter });
    if (!speaking) next();
  }
  function next() {
    var item = queue.shift();
    if (!item) { speaking = false; return; }
    speaking = true;
    var texts = config.languages.filter(function (l) { return PHRASES[l]; }).map(function (l) {
      return { lang: l, text: PHRASES[l](spoken(item.number), item.counter) };
    });
    $("announce").textContent = texts.map(function (t) { return t.text; }).join(" / ");
    var wait = chime();
    setTimeout(function () {
      texts.reduce(function (p, t) { return p.then(function () { return say(t.text, t.lang); }); },
                   Promise.resolve()).then(function () { setTimeout(next, 500); });
    }, wait);
  }
  function offerSound() {
    var ctx = audioContext();
    var button = $("sound");
    if (!ctx || ctx.state === "running") { button.hidden = true; return; }
    button.hidden = false;
    button.onclick = function () { ctx.resume().then(offerSound); };
  }

  // --- connection: backoff, resync on gap, reconnecting mark -----------------------------
  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }
  function resync() { send({ type: "resync" }); }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + config.socket_path);
    socket.onopen = function () { attempt = 0; };
    socket.onmessage = function (m) {
      var message = JSON.parse(m.data);
      $("offline").hidden = true;
      if (message.type === "snapshot") {
        applySnapshot(message.version, message.data);
      } else if (message.type === "event") {
        if (state.version !== null && message.version <= state.version) return; // in the snapshot
        var gap = state.version !== null && message.version > state.version + 1;
        state.version = message.version;
        applyEvent(message.event);
        if (gap) resync();
      }
    };
    socket.onclose = function (e) {
      $("offline").hidden = false;
      if (e.code === 4403) { document.body.dataset.refused = "1"; }
      // 1 s, 2 s, 4 s ... up to 30 s, with jitter so a restarted server is not stormed.
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt++)) * (0.75 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  function tick() {
    var now = new Date();
    $("clock").textContent = new Intl.DateTimeFormat("ja-JP", {
      timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit"
    }).format(now);
    $("clock").dateTime = now.toISOString();
    state.calling.forEach(function (c) {
      if (c.fresh && Date.now() - c.fresh >= BLINK_MS) { c.fresh = null; }
    });
  }
  window.madoguchiDisplay = { state: state, announceQueue: queue }; // for browser tests
  tick();
  setInterval(tick, 1000);
  setInterval(resync, PERIODIC_RESYNC_MS);
  setInterval(offerSound, 5000);
  offerSound();
  connect();
})();
