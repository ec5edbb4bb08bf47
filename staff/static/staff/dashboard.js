/* Supervisor dashboard: the live figures, rendered by the server and pushed over
   /ws/dashboard/<office>/ (live/boards.py DashboardBoard) after changes. */
import { connectLive } from "../live/socket.js";

const live = document.getElementById("live");
const connection = document.getElementById("connection");

function say(ja, en) { connection.innerHTML = ja + ' <span lang="en">' + en + "</span>"; }

if (live) {
  connectLive({
    // 4401: the staff session ended (idle too long, or signed out elsewhere).
    onRefused: function (code) { if (code === 4401) location.assign("/staff/login/?next=" + encodeURIComponent(location.pathname)); },
    path: "/ws/dashboard/" + live.dataset.office + "/",
    onFrame: function (frame) {
      if (frame.type === "snapshot" || frame.type === "board") live.innerHTML = frame.data.html;
    },
    onLive: function (on) {
      if (on) say("リアルタイム更新中", "Live");
      else say("再接続しています (前回の数値を表示中)", "Reconnecting; showing the last figures");
    },
  });
}
