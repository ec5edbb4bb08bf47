/* The one WebSocket client of every live page (display, status page, console, dashboard).
 *
 * The server pushes each screen its whole state (frames: live/boards.py), so a page only
 * draws what arrives. This module keeps the socket alive for days: it reconnects with
 * exponential backoff and jitter (1 s, 2 s, 4 s ... 30 s) so a restarted server is not
 * stormed, and every (re)connect starts with a snapshot. It drops frames older than the
 * state shown, and when a frame's "prev" is not the version it last showed (a frame went
 * missing) it asks for a resync. It tells the page when it is live or offline (its socket
 * closed, or the server said {"type": "link", "live": false}: its events stopped), and asks
 * for a fresh snapshot when a phone wakes up or comes back online. With heartbeatSeconds
 * (consoles) it sends {"type": "heartbeat"} that often while open: the counter's presence.
 */

const MAX_BACKOFF_MS = 30000;
const CLOSED_FOR_GOOD = new Set([4404]);  // the thing followed is gone: reconnecting cannot help

export function connectLive({ path, onFrame, onLive = () => {}, onRefused = () => {},
                             heartbeatSeconds = 0 }) {
  let socket = null;
  let beating = null;  // the heartbeat's interval while a socket is open
  let attempt = 0;
  let version = null;
  let stopped = false;
  let timer = null;  // a pending reconnect

  function url() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + location.host + path;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function resync() {
    if (send({ type: "resync" }) || socket) return;
    clearTimeout(timer);  // offline and waiting to retry: try now
    connect();
  }

  function accept(frame) {
    if (frame.type === "error") return;
    if (frame.type === "link") {  // the server's events stopped (or resumed): say so
      onLive(Boolean(frame.live));
      return;
    }
    if (typeof frame.version === "number") {
      if (frame.type !== "snapshot") {
        if (version !== null && frame.version < version) return;  // older than what is shown
        if (version !== null && frame.prev !== undefined && frame.prev !== version) {
          resync();  // a frame went missing: this one is still the newest state, draw it
        }
      }
      version = frame.version;
    }
    onFrame(frame);
  }

  function connect() {
    timer = null;
    if (stopped) return;
    try {
      socket = new WebSocket(url());
    } catch (e) {
      socket = null;
      retry();
      return;
    }
    socket.onopen = () => {
      attempt = 0;
      onLive(true);
      if (heartbeatSeconds > 0) {
        clearInterval(beating);
        beating = setInterval(() => send({ type: "heartbeat" }), heartbeatSeconds * 1000);
      }
    };
    socket.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      accept(frame);
    };
    socket.onclose = (event) => {
      socket = null;
      clearInterval(beating);
      onLive(false);
      if (event.code >= 4400 && event.code < 4500) onRefused(event.code);
      if (CLOSED_FOR_GOOD.has(event.code)) return;
      retry();
    };
    socket.onerror = () => { /* onclose follows */ };
  }

  function retry() {
    if (stopped) return;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2);
    attempt += 1;
    timer = setTimeout(connect, delay);
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") resync();
  });
  window.addEventListener("online", resync);

  connect();
  return {
    resync,
    get version() { return version; },
    send,
    close() { stopped = true; clearInterval(beating); if (socket) socket.close(); },
  };
}
