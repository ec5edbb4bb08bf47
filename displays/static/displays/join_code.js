/* Lobby display: the phone ticket box's presence code (displays/join_code.py).
 *
 * The page comes with the code and the seconds until it changes; just after each change
 * the script asks the display's /join-code/ address for the next one. The server counts
 * the seconds, so a display clock that is off does not matter; the previous code stays
 * accepted, so being a few seconds late does not either. A failed fetch tries again in 30 s.
 */
const config = JSON.parse(document.getElementById("join-config").textContent);
const shown = document.getElementById("join-code");
const RETRY_S = 30, AFTER_CHANGE_S = 1;

function schedule(seconds) {
  setTimeout(refresh, Math.max(1, seconds) * 1000);
}
async function refresh() {
  try {
    const response = await fetch(config.codeUrl, { cache: "no-store", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const data = await response.json();
    if (!data.code) { document.getElementById("join").hidden = true; return; }
    shown.textContent = data.code;
    schedule(data.refresh_in + AFTER_CHANGE_S);
  } catch (e) {
    schedule(RETRY_S);
  }
}
schedule(config.refresh_in + AFTER_CHANGE_S);
window.madoguchiJoinCode = { refresh: refresh };  // for browser tests
