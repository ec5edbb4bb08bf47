/* Counter console: draws the counter's view pushed over /ws/counter/<id>/ (current ticket,
   waiting line, held tickets; live/boards.py CounterBoard) and posts actions to the API.
   Every action is one key; the API's error detail (e.g. 409 when another console took
   the ticket first) is shown in the alert region; the new view arrives on the socket. */
import { connectLive } from "../live/socket.js";

const root = document.getElementById("console");
if (root) {
  var api = root.dataset.api;
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var state = null;
  var $ = function (id) { return document.getElementById(id); };
  var PRIORITY = {1: "要支援 (needs assistance)", 2: "予約 (appointment)"};
  var STATUS = {waiting: "待ち", called: "呼出中", serving: "対応中", held: "保留"};
  var COUNTER_STATUS = {open: "受付中 (open)", "break": "休憩中 (break)", closed: "閉鎖 (closed)"};

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function minutesSince(iso) {
    return Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60000));
  }
  function message(text) {
    $("error").hidden = true;
    $("message").textContent = text;
  }
  function error(text) {
    $("message").textContent = "";
    $("error").textContent = text;
    $("error").hidden = false;
  }

  function render() {
    var c = state.counter, cur = state.current;
    $("counter-status").textContent = COUNTER_STATUS[c.status] || c.status;
    if (cur) {
      var rows = [
        ["番号 Number", '<strong class="number" id="current-number">' + esc(cur.ticket) + "</strong>"],
        ["手続き Service", esc(cur.service)],
        ["手順 Step", esc(cur.step)],
        ["状態 Status", esc(STATUS[cur.status] || cur.status)],
        ["発券から Since issue", minutesSince(cur.issued_at) + " 分 (min)"]
      ];
      if (cur.priority) rows.push(["優先 Priority", esc(PRIORITY[cur.priority] || cur.priority)]);
      if (cur.booking_reference) rows.push(["予約番号 Booking", esc(cur.booking_reference)]);
      $("current").innerHTML = "<dl>" + rows.map(function (r) {
        return "<dt>" + r[0] + "</dt><dd>" + r[1] + "</dd>";
      }).join("") + "</dl>";
    } else {
      $("current").innerHTML = '<p id="current-number-none">なし <span lang="en">None</span></p>';
    }
    var st = cur ? cur.status : null;
    var allowed = {
      "call-next": !cur, recall: st === "called", start: st === "called",
      hold: !!cur, "no-show": st === "called", complete: !!cur
    };
    document.querySelectorAll("button[data-action]").forEach(function (b) {
      b.disabled = !allowed[b.dataset.action];
    });
    document.querySelectorAll("#transfer-form button, #transfer-form select, #transfer-form input")
      .forEach(function (el) { el.disabled = !cur; });
    $("line-count").textContent = state.waiting.length;
    $("line").innerHTML = table(state.waiting, false);
    $("held").innerHTML = state.held.length ? table(state.held, true) : "<p>なし <span lang=\"en\">None</span></p>";
  }

  function table(rows, held) {
    if (!rows.length) return '<p>待っている人はいません。<span lang="en">No one is waiting.</span></p>';
    return '<table><thead><tr><th scope="col">番号 Number</th><th scope="col">手続き Service</th>' +
      '<th scope="col">手順 Step</th><th scope="col">発券から(分) Since issue</th><th scope="col">優先 Priority</th>' +
      (held ? '<th scope="col">操作 Action</th>' : "") + "</tr></thead><tbody>" +
      rows.map(function (t) {
        return "<tr><td>" + esc(t.ticket) + "</td><td>" + esc(t.service) + "</td><td>" + esc(t.step) +
          "</td><td>" + minutesSince(t.issued_at) + "</td><td>" + esc(PRIORITY[t.priority] || "") + "</td>" +
          (held ? '<td><button type="button" data-resume="' + t.id + '">' + esc(t.ticket) +
            ' を呼び戻す <span lang="en">Resume</span></button></td>' : "") + "</tr>";
      }).join("") + "</tbody></table>";
  }

  function post(path, body, done) {
    return fetch(api + path, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json"},
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) {
          var detail = data.detail || "操作できませんでした。 The action failed.";
          if (data.fields) detail += " " + JSON.stringify(data.fields);
          error((r.status === 409 ? "他の操作と重なりました: " : "") + detail);
        } else {
          message(done(data));
        }
      });
    }).catch(function () { error("サーバーに接続できません。 Cannot reach the server."); });
  }

  function act(action) {
    if (!state) return;
    var cur = state.current;
    var button = document.querySelector('button[data-action="' + action + '"]');
    // "Call next" always goes to the server, which knows whether the counter is
    // free (a refused call says why); the page's view of it may be a moment old.
    if (button && button.disabled && action !== "call-next") return;
    if (action === "call-next") {
      return post("call-next/", {}, function (d) {
        return d.ticket ? d.ticket.ticket + " を呼び出しました。 Called " + d.ticket.ticket + "."
                        : "待っている人はいません。 No one is waiting for this counter.";
      });
    }
    if (!cur) return;
    var base = "tickets/" + cur.id + "/";
    var words = {recall: "再呼出しました Recalled", start: "対応を開始しました Started",
                 hold: "保留にしました Held", "no-show": "不在にしました Marked no-show",
                 complete: "完了しました Completed"};
    post(base + action + "/", {}, function (t) { return t.ticket + ": " + words[action] + "."; });
  }

  function setStatus(status) {
    post("status/", {status: status}, function (d) {
      return "窓口の状態: " + (COUNTER_STATUS[d.status] || d.status) + " (status)";
    });
  }

  root.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.action) act(b.dataset.action);
    else if (b.dataset.status) setStatus(b.dataset.status);
    else if (b.dataset.resume) {
      post("tickets/" + b.dataset.resume + "/resume/", {}, function (t) {
        return t.ticket + " を呼び戻しました。 Resumed " + t.ticket + ".";
      });
    }
  });
  $("call-number-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var n = $("call-number").value.trim();
    if (!n) { error("番号を入力してください。 Type a ticket number, e.g. A012."); return; }
    post("call/", {number: n}, function (t) { return t.ticket + " を呼び出しました。 Called " + t.ticket + "."; })
      .then(function () { $("call-number").value = ""; });
  });
  $("transfer-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!state || !state.current) { error("対応中の番号がありません。 No current ticket."); return; }
    var reason = $("transfer-reason").value.trim();
    if (!reason) { error("回付の理由を選ぶか入力してください。 Choose or type a reason for the transfer."); $("transfer-reason").focus(); return; }
    var to = $("transfer-to").value;
    var body = {reason: reason};
    if (to) body.to_service = parseInt(to, 10);
    post("tickets/" + state.current.id + "/transfer/", body, function (t) {
      return t.ticket + " を回付しました (" + t.step + ")。 Transferred.";
    }).then(function () { $("transfer-reason").value = ""; });
  });

  var KEYS = {n: "call-next", r: "recall", s: "start", h: "hold", x: "no-show", c: "complete"};
  var STATUS_KEYS = {o: "open", b: "break", q: "closed"};
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (e.key === "Escape" && (tag === "input" || tag === "select")) { e.target.blur(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey || tag === "input" || tag === "select" || tag === "textarea") return;
    var k = e.key.toLowerCase();
    if (KEYS[k]) { e.preventDefault(); act(KEYS[k]); }
    else if (STATUS_KEYS[k]) { e.preventDefault(); setStatus(STATUS_KEYS[k]); }
    else if (k === "g") { e.preventDefault(); $("call-number").focus(); }
    else if (k === "t") { e.preventDefault(); if (state && state.current) $("transfer-to").focus(); }
  });

  function say(ja, en) { $("connection").innerHTML = ja + ' <span lang="en">' + en + "</span>"; }
  connectLive({
    // 4401: the staff session ended (idle too long, or signed out elsewhere).
    onRefused: function (code) { if (code === 4401) location.assign("/staff/login/?next=" + encodeURIComponent(location.pathname)); },
    path: "/ws/counter/" + root.dataset.counter + "/",
    onFrame: function (frame) {
      if (frame.type !== "snapshot" && frame.type !== "board") return;
      state = frame.data;
      render();
    },
    onLive: function (live) {
      if (live) say("リアルタイム更新中", "Live");
      else say("再接続しています…", "Reconnecting…");
    },
  });
}
