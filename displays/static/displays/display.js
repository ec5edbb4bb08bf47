/* Lobby display: the board pushed over /ws/display/<key>/ (live/boards.py), chime and speech.
 *
 * Runs for days unattended: the shared socket client (live/static/live/socket.js)
 * reconnects with backoff and starts each connection with a snapshot; every frame after
 * it is the display's whole state, waiting counts included, so the page only draws what
 * arrives. A frame that calls a number says so ("announce"). Numbers only: the server
 * never sends names.
 */
import { connectLive } from "../live/socket.js";

const config = JSON.parse(document.getElementById("display-config").textContent);
const RECENT = 8, BLINK_MS = 6400;
const state = { version: null, calling: [], recent: [], services: [] };
const fresh = new Map();  // ticket -> when its call arrived (it blinks for BLINK_MS)

// The words per language come with the page, from the translation catalogues
// (displays/phrases.py): templates such as "Number %(number)s, please come to counter
// %(counter)s" that say() and render() fill in. The first language is the screen's own;
// beside it in smaller type each other configured language in turn (LANGUAGE_MS each),
// labels included (config.labels); every one of them is spoken.
const PHRASES = config.phrases;
const FIRST = config.languages[0];
const OTHERS = config.languages.filter(function (l) { return l !== FIRST; });
let SECOND = OTHERS[0];
const LANGUAGE_MS = 8000;
function phrase(lang, key, values) {
  return PHRASES[lang][key].replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
}
function people(lang, count) {
  let form = "other";
  try { form = new Intl.PluralRules(VOICE_LANG[lang] || lang).select(count); } catch (e) { /* other */ }
  return phrase(lang, form === "one" ? "people_one" : "people_other", { count: count });
}
const VOICE_LANG = { "ja": "ja-JP", "ja-easy": "ja-JP", "en": "en-US", "zh-hans": "zh-CN",
                   "ko": "ko-KR", "vi": "vi-VN", "pt-br": "pt-BR", "es": "es-ES" };
const HTML_LANG = { "ja-easy": "ja" };  // as queueing/languages.py html_lang

function $(id) { return document.getElementById(id); }
function el(tag, cls, text) {
  let e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function second(tag, text) {  // words in the second language, marked as such for voices
  const e = el(tag, "", text);
  e.lang = HTML_LANG[SECOND] || SECOND;
  return e;
}
function spoken(number) { return number.replace(/^([A-Z]+)0*(\d)/, "$1$2"); } // A012 -> A12

// --- rendering ------------------------------------------------------------------------
function render() {
  const list = $("calling");
  list.textContent = "";
  state.calling.forEach(function (c) {
    const since = fresh.get(c.ticket);
    const li = el("li", since && Date.now() - since < BLINK_MS ? "fresh" : "");
    li.appendChild(el("span", "number", c.ticket));
    const counter = el("span", "counter", phrase(FIRST, "counter", { counter: c.counter }));
    if (SECOND) counter.appendChild(second("small", phrase(SECOND, "counter", { counter: c.counter })));
    li.appendChild(counter);
    list.appendChild(li);
  });
  $("calling-empty").hidden = state.calling.length > 0;
  fitCalls(list);
  const recent = $("recent");
  recent.textContent = "";
  state.recent.slice(0, RECENT).forEach(function (r) {
    const li = el("li");
    li.appendChild(el("span", "number", r.ticket));
    li.appendChild(el("span", "counter",
                      r.counter != null ? phrase(FIRST, "counter_short", { counter: r.counter }) : ""));
    recent.appendChild(li);
  });
  const body = $("queues");
  body.textContent = "";
  state.services.forEach(function (s) {
    const tr = el("tr");
    tr.dataset.service = s.service_id;
    const name = el("td");
    const names = config.service_names[String(s.service_id)] || {};
    name.appendChild(document.createTextNode(names[FIRST] || ""));  // names come with the page
    if (SECOND && names[SECOND] && names[SECOND] !== names[FIRST]) {
      const sub = second("span", names[SECOND]);
      sub.className = "lang2";
      name.appendChild(sub);
    }
    tr.appendChild(name);
    tr.appendChild(el("td", "n", people(FIRST, s.waiting)));
    // Nobody at any counter for it: the wait is not known, never "about 0 min".
    const unknown = s.estimated_wait_minutes === null || s.estimated_wait_minutes === undefined;
    const wait = el("td", "n wait", unknown ? phrase(FIRST, "wait_unknown", {}) : (s.waiting
      ? phrase(FIRST, "wait_about", { minutes: s.estimated_wait_minutes }) : "—"));
    if (unknown && SECOND) wait.appendChild(second("small", phrase(SECOND, "wait_unknown", {})));
    tr.appendChild(wait);
    body.appendChild(tr);
  });
  paginate();
}

// --- the other languages, in turn ------------------------------------------------------
function showLanguage(lang) {
  SECOND = lang;
  const words = config.labels[lang] || {}, first = config.labels[FIRST] || {};
  document.querySelectorAll(".sub[data-label]").forEach(function (sub) {
    const own = words[sub.dataset.label];
    sub.textContent = own || "";
    sub.lang = HTML_LANG[lang] || lang;
    sub.hidden = !own || own === first[sub.dataset.label];  // the same words twice say nothing more
  });
  document.body.dataset.second = lang;
  render();
}
function turnLanguage() {
  if (OTHERS.length < 2) return;
  showLanguage(OTHERS[(OTHERS.indexOf(SECOND) + 1) % OTHERS.length]);
}

// --- the calls: two columns in smaller (still large) type when one column runs out -------
// Newest first: were even that too many, the oldest calls give way (they stay in the
// recent calls), never a card cut in half.
function fitCalls(list) {
  const items = Array.from(list.children);
  list.classList.remove("dense");
  if (list.scrollHeight <= list.clientHeight) return;
  list.classList.add("dense");
  for (let i = items.length - 1; i > 0 && list.scrollHeight > list.clientHeight; i--) {
    items[i].hidden = true;
  }
}

// --- the waiting table: the rows that fit, the rest on pages that turn by themselves -----
// Paged, not scaled: shrunk to fit 20 services, a row's type would be too small to read
// across a lobby; a page keeps the size and the next one comes round every PAGE_MS.
const PAGE_MS = 8000;
const pager = { page: 0, pages: [[]] };  // pages: the row indexes each page shows
function paginate() {
  const frame = $("queues-frame");
  const rows = Array.from($("queues").rows);
  rows.forEach(function (row) { row.hidden = false; });
  const room = frame.clientHeight - frame.querySelector("thead").offsetHeight;
  const pages = [[]];
  let used = 0;
  rows.forEach(function (row, i) {
    const height = row.getBoundingClientRect().height;
    if (used + height > room && pages[pages.length - 1].length) { pages.push([]); used = 0; }
    pages[pages.length - 1].push(i);
    used += height;
  });
  pager.pages = pages;
  pager.page = Math.min(pager.page, pages.length - 1);
  showPage();
}
function showPage() {
  const shown = new Set(pager.pages[pager.page]);
  Array.from($("queues").rows).forEach(function (row, i) { row.hidden = !shown.has(i); });
  const mark = $("queues-page");
  mark.hidden = pager.pages.length < 2;
  mark.textContent = (pager.page + 1) + " / " + pager.pages.length;
  mark.title = phrase(FIRST, "page", { page: pager.page + 1, pages: pager.pages.length });
}
function turnPage() {
  if (pager.pages.length < 2) return;
  pager.page = (pager.page + 1) % pager.pages.length;
  showPage();
}

function show(frame) {
  const data = frame.data;
  state.version = frame.version;
  state.calling = data.calling;
  state.recent = data.recent_calls;
  state.services = data.services;
  if (frame.announce) {
    fresh.set(frame.announce.ticket, Date.now());
    announce(frame.announce.ticket, frame.announce.counter);
    setTimeout(render, BLINK_MS + 50);
  }
  render();
}

// --- announcements: one at a time, chime then speech in each language -----------------
let queue = [], speaking = false, audio = null;
function audioContext() {
  if (!audio && (window.AudioContext || window.webkitAudioContext)) {
    audio = new (window.AudioContext || window.webkitAudioContext)();
  }
  return audio;
}
function chime() {
  let ctx = audioContext();
  if (!ctx || ctx.state !== "running") return 0;
  [[880, 0], [659.25, 0.45]].forEach(function (tone) {
    let osc = ctx.createOscillator(), gain = ctx.createGain(), t = ctx.currentTime + tone[1];
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
    let u = new SpeechSynthesisUtterance(text);
    u.lang = VOICE_LANG[lang] || lang;
    let done = false, finish = function () { if (!done) { done = true; resolve(); } };
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
  let item = queue.shift();
  if (!item) { speaking = false; return; }
  speaking = true;
  let texts = config.languages.filter(function (l) { return PHRASES[l]; }).map(function (l) {
    return { lang: l, text: phrase(l, "announce", { number: spoken(item.number), counter: item.counter }) };
  });
  $("announce").textContent = texts.map(function (t) { return t.text; }).join(" / ");
  let wait = chime();
  setTimeout(function () {
    texts.reduce(function (p, t) { return p.then(function () { return say(t.text, t.lang); }); },
                 Promise.resolve()).then(function () { setTimeout(next, 500); });
  }, wait);
}
function offerSound() {
  let ctx = audioContext();
  let button = $("sound");
  if (!ctx || ctx.state === "running") { button.hidden = true; return; }
  button.hidden = false;
  button.onclick = function () { ctx.resume().then(offerSound); };
}

// --- connection -------------------------------------------------------------------------
connectLive({
  path: config.socket_path,
  onFrame: function (frame) {
    if (frame.type === "snapshot" || frame.type === "board") show(frame);
  },
  onLive: function (live) { $("offline").hidden = live; },
  onRefused: function (code) { if (code === 4403) document.body.dataset.refused = "1"; },
});

function tick() {
  const now = new Date();
  $("clock").textContent = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit"
  }).format(now);
  $("clock").dateTime = now.toISOString();
  fresh.forEach(function (at, ticket) {
    if (Date.now() - at >= BLINK_MS) fresh.delete(ticket);
  });
}
window.madoguchiDisplay = {  // for browser tests
  state: state, announceQueue: queue, pager: pager, turnPage: turnPage,
  turnLanguage: turnLanguage, second: function () { return SECOND; },
  soundState: function () { return audio ? audio.state : "none"; },
};
tick();
setInterval(tick, 1000);
setInterval(turnPage, PAGE_MS);
setInterval(turnLanguage, LANGUAGE_MS);
window.addEventListener("resize", render);  // the calls and the pages follow the window
setInterval(offerSound, 5000);
offerSound();
if (SECOND) document.body.dataset.second = SECOND;
