/* Counter console: draws the counter's view pushed over /ws/counter/<id>/ (current ticket,
   waiting line, held tickets; live/boards.py CounterBoard) and posts actions to the API.
   Every action is one key; the API's error detail (e.g. 409 when another console took
   the ticket first) is shown in the alert region; the new view arrives on the socket.
   The socket's heartbeat keeps the counter staffed (queueing/presence.py); when the
   session has expired the server closes it with 4401 and the page goes to the sign-in
   page, which brings the person back to this counter. */
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
  var KIND = {outsourced: "委託窓口", staff_only: "職員窓口"};
  var shownTicket = null;  // the current ticket the completion form was filled for

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function minutesSince(iso) {
    return Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60000));
  }
  function minutesUntil(iso) {
    return Math.max(1, Math.ceil((Date.parse(iso) - Date.now()) / 60000));
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
  function stepWords(step, kindLabel) { return step + " (" + kindLabel + ")"; }

  // One hand-off in words: where it came from, why, and the note for this counter.
  function handOffHtml(h, full) {
    var from = (h.counter ? h.counter + "番窓口 " : "") + (h.counter_kind_label || "");
    var html = '<p class="hand-off-from">' + (full ? "" : "回付元 <span lang=\"en\">From</span>: ") +
      esc(from) + " · " + esc(h.from_step) + " → " + esc(stepWords(h.to_step, h.to_kind_label)) +
      " (" + esc(new Date(h.at).toLocaleTimeString("ja-JP", {hour: "2-digit", minute: "2-digit", timeZone: "Asia/Tokyo"})) + ")</p>" +
      '<p class="hand-off-reason">理由 <span lang="en">Reason</span>: ' + esc(h.reason) + "</p>";
    if (h.note) html += '<p class="hand-off-note">メモ <span lang="en">Note</span>: ' + esc(h.note) + "</p>";
    return html;
  }

  function render() {
    var c = state.counter, cur = state.current;
    $("counter-status").textContent = COUNTER_STATUS[c.status] || c.status;
    $("counter-reason").hidden = !c.status_reason;
    $("counter-reason").textContent = c.status_reason ? "理由 (reason): " + c.status_reason : "";
    if (cur) {
      var rows = [
        ["番号 Number", '<strong class="number" id="current-number">' + esc(cur.ticket) + "</strong>"],
        ["手続き Service", esc(cur.service)],
        ["手順 Step", esc(stepWords(cur.step, cur.step_kind_label))],
        ["状態 Status", esc(STATUS[cur.status] || cur.status)],
        ["発券から Since issue", minutesSince(cur.issued_at) + " 分 (min)"]
      ];
      if (cur.priority) rows.push(["優先 Priority", esc(PRIORITY[cur.priority] || cur.priority)]);
      if (cur.booking_reference) rows.push(["予約番号 Booking", esc(cur.booking_reference)]);
      if (cur.no_show_count) rows.push(["不在 No-shows", cur.no_show_count + " 回"]);
      rows.push(["次の手順 Next step", cur.next_step
        ? '<span id="current-next">' + esc(stepWords(cur.next_step.name, cur.next_step.kind_label)) + "</span>"
        : '<span id="current-next">なし (この手順で完了) <span lang="en">none: this step ends the visit</span></span>']);
      $("current").innerHTML = "<dl>" + rows.map(function (r) {
        return "<dt>" + r[0] + "</dt><dd>" + r[1] + "</dd>";
      }).join("") + "</dl>";
      var box = $("hand-off");
      if (cur.hand_offs && cur.hand_offs.length) {
        box.innerHTML = "<h3>引継ぎ <span lang=\"en\">Hand-off</span></h3>" +
          (cur.hand_off ? handOffHtml(cur.hand_off, false) : "") +
          (cur.hand_offs.length > 1 || !cur.hand_off
            ? "<details><summary>この番号の引継ぎ履歴 <span lang=\"en\">Hand-off history</span> (" +
              cur.hand_offs.length + ")</summary><ol>" + cur.hand_offs.map(function (h) {
                return "<li>" + handOffHtml(h, true) + "</li>";
              }).join("") + "</ol></details>" : "");
        box.hidden = false;
      } else {
        box.hidden = true;
        box.innerHTML = "";
      }
    } else {
      $("current").innerHTML = '<p id="current-number-none">なし <span lang="en">None</span></p>';
      $("hand-off").hidden = true;
    }
    renderComplete(cur);
    renderTransferTarget();
    var st = cur ? cur.status : null;
    var allowed = {
      "call-next": !cur, recall: st === "called", start: st === "called",
      hold: !!cur, "no-show": st === "called", complete: !!cur
    };
    document.querySelectorAll("button[data-action]").forEach(function (b) {
      b.disabled = !allowed[b.dataset.action];
    });
    document.querySelectorAll("#transfer-form button, #transfer-form select, #transfer-form input, #transfer-form textarea")
      .forEach(function (el) { el.disabled = !cur; });
    $("hold-reason").disabled = !cur;
    $("line-count").textContent = state.waiting.length;
    $("line").innerHTML = table(state.waiting, false);
    $("held").innerHTML = state.held.length ? table(state.held, true) : "<p>なし <span lang=\"en\">None</span></p>";
  }

  // The completion form: the step's units with their defaults (C records them as they
  // are: one key), and for a step with a next one, the hand-off's reason and note.
  function renderComplete(cur) {
    var form = $("complete-form");
    $("btn-complete").innerHTML = cur && cur.next_step
      ? "完了して " + esc(stepWords(cur.next_step.name, cur.next_step.kind_label)) + " へ <span lang=\"en\">Complete and hand on</span> <kbd>C</kbd>"
      : "完了 <span lang=\"en\">Complete</span> <kbd>C</kbd>";
    if (!cur) { form.hidden = true; shownTicket = null; return; }
    form.hidden = false;
    if (shownTicket === cur.id + ":" + cur.step) return;  // keep what the clerk typed
    shownTicket = cur.id + ":" + cur.step;
    $("units").innerHTML = cur.units.length ? cur.units.map(function (u) {
      return '<p class="unit"><label for="unit-' + u.unit_id + '">' + esc(u.name) + '</label> ×' +
        '<input type="number" id="unit-' + u.unit_id + '" data-unit="' + u.unit_id + '" min="0" max="99" value="' +
        u.default + '" size="3"></p>';
    }).join("") : "<p>この手順に記録する実績はありません。<span lang=\"en\">Nothing to count at this step.</span></p>";
    $("complete-hand-off").hidden = !cur.next_step;
    $("complete-next").textContent = cur.next_step
      ? "次の手順 (Next step): " + stepWords(cur.next_step.name, cur.next_step.kind_label) : "";
    $("complete-reason").value = "";
    $("complete-note").value = "";
  }

  function renderTransferTarget() {
    var cur = state && state.current, select = $("transfer-to"), out = $("transfer-target");
    if (!cur) { out.textContent = ""; return; }
    var option = select.options[select.selectedIndex];
    if (!select.value) {
      out.textContent = cur.next_step
        ? "回付先の手順 (goes to): " + stepWords(cur.next_step.name, cur.next_step.kind_label)
        : "この手続きに次の手順はありません (no next step): 回付先を選んでください";
    } else {
      out.textContent = "回付先の手順 (goes to): " + stepWords(option.dataset.step, option.dataset.kind);
    }
  }

  function handOffCell(t) {
    var parts = [];
    if (t.hand_off) {
      parts.push(esc((t.hand_off.counter ? t.hand_off.counter + "番 " : "") + t.hand_off.counter_kind_label) +
        "から: " + esc(t.hand_off.reason) + (t.hand_off.note ? "<br>メモ: " + esc(t.hand_off.note) : ""));
    }
    if (t.call_after) parts.push('<span class="cooling">不在のため あと' + minutesUntil(t.call_after) + "分 呼出対象外 <span lang=\"en\">skipped after a no-show</span></span>");
    return parts.join("<br>");
  }

  // The resident said on their status page that they are on the way back to the lobby.
  function onMyWayMark(t) {
    return t.on_my_way ? ' <span class="on-my-way" data-on-my-way="' + esc(t.ticket) +
      '">向かっています <span lang="en">On the way</span></span>' : "";
  }

  function table(rows, held) {
    if (!rows.length) return '<p>待っている人はいません。<span lang="en">No one is waiting.</span></p>';
    return '<table><thead><tr><th scope="col">番号 Number</th><th scope="col">手続き Service</th>' +
      '<th scope="col">手順 Step</th><th scope="col">発券から(分) Since issue</th>' +
      (held ? '<th scope="col">保留から(分) Held for</th>' : "") +
      '<th scope="col">優先 Priority</th><th scope="col">引継ぎ Hand-off</th>' +
      (held ? '<th scope="col">操作 Action</th>' : "") + "</tr></thead><tbody>" +
      rows.map(function (t) {
        return "<tr><td>" + esc(t.ticket) + onMyWayMark(t) + "</td><td>" + esc(t.service) + "</td><td>" + esc(t.step) +
          "</td><td>" + minutesSince(t.issued_at) + "</td>" +
          (held ? '<td class="held-for">' + (t.held_at ? minutesSince(t.held_at) : "") + "</td>" : "") +
          "<td>" + esc(PRIORITY[t.priority] || "") + "</td><td>" + handOffCell(t) + "</td>" +
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
          return false;
        }
        message(done(data));
        return true;
      });
    }).catch(function () { error("サーバーに接続できません。 Cannot reach the server."); return false; });
  }

  // What became of a ticket, in words: "A012 は 審査 (職員窓口) へ回しました".
  function outcome(t) {
    if (t.status === "waiting") {
      return t.ticket + " は " + stepWords(t.step, KIND[t.step_kind] || t.step_kind) + " へ回しました。 " +
        "Handed on to " + t.step + ".";
    }
    return t.ticket + " の対応を完了しました。 Completed " + t.ticket + ".";
  }

  function completeBody() {
    var units = [];
    document.querySelectorAll("#units input[data-unit]").forEach(function (input) {
      var n = parseInt(input.value, 10);
      units.push({unit: parseInt(input.dataset.unit, 10), quantity: isNaN(n) ? 0 : n});
    });
    var body = {units: units};
    if (state.current.next_step) {
      body.reason = $("complete-reason").value.trim();
      body.note = $("complete-note").value.trim();
    }
    return body;
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
                        : "呼び出せる人はいません。 No one is waiting for this counter.";
      });
    }
    if (!cur) return;
    var base = "tickets/" + cur.id + "/";
    if (action === "complete") {
      return post(base + "complete/", completeBody(), outcome);
    }
    if (action === "hold") {
      var reason = $("hold-reason").value.trim();
      if (!reason) {
        error("保留の理由を選ぶか入力してください。 Choose or type a reason for the hold.");
        $("hold-reason").focus();
        return;
      }
      return post(base + "hold/", {reason: reason}, function (t) {
        $("hold-reason").value = "";
        $("hold-reason").blur();  // the next key is a shortcut again (n calls the next)
        return t.ticket + ": 保留にしました Held.";
      });
    }
    var words = {recall: "再呼出しました Recalled", start: "対応を開始しました Started",
                 "no-show": "不在にしました Marked no-show"};
    post(base + action + "/", {}, function (t) { return t.ticket + ": " + words[action] + "."; });
  }

  function setStatus(status) {
    post("status/", {status: status}, function (d) {
      return "窓口の状態: " + (COUNTER_STATUS[d.status] || d.status) + " (status)";
    });
  }

  root.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b || b.type === "submit") return;
    if (b.dataset.action) act(b.dataset.action);
    else if (b.dataset.status) setStatus(b.dataset.status);
    else if (b.dataset.resume) {
      post("tickets/" + b.dataset.resume + "/resume/", {}, function (t) {
        return t.ticket + " を呼び戻しました。 Resumed " + t.ticket + ".";
      });
    }
  });
  $("complete-form").addEventListener("submit", function (e) { e.preventDefault(); act("complete"); });
  $("hold-reason").addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); act("hold"); }
  });
  $("transfer-to").addEventListener("change", renderTransferTarget);
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
    var body = {reason: reason, note: $("transfer-note").value.trim(), units: completeBody().units};
    if (to) body.to_service = parseInt(to, 10);
    post("tickets/" + state.current.id + "/transfer/", body, outcome).then(function (ok) {
      if (ok) { $("transfer-reason").value = ""; $("transfer-note").value = ""; }
    });
  });

  var KEYS = {n: "call-next", r: "recall", s: "start", h: "hold", x: "no-show", c: "complete"};
  var STATUS_KEYS = {o: "open", b: "break", q: "closed"};
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (e.key === "Escape" && (tag === "input" || tag === "select" || tag === "textarea")) { e.target.blur(); return; }
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
    heartbeatSeconds: parseInt(root.dataset.heartbeat, 10) || 30,
    onFrame: function (frame) {
      if (frame.type !== "snapshot" && frame.type !== "board") return;
      state = frame.data;
      render();
    },
    onLive: function (live) {
      if (live) say("リアルタイム更新中", "Live");
      else say("再接続しています…", "Reconnecting…");
    },
    onRefused: function (code) {
      if (code === 4401) {  // the session expired or was signed out: sign in, come back here
        say("ログインが切れました。ログイン画面へ移動します…", "Signed out; going to the sign-in page…");
        location.assign(root.dataset.login + "?expired=1&next=" + encodeURIComponent(location.pathname));
      }
    },
  });
}
