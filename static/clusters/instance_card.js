// Progressive enhancement: while the Hopsworks account is on its way, fetch the card again every
// few seconds and swap it in; stops once the state settles (ready, failed, waiting for a card).
(function () {
  if (window.__instanceCardPolling) return;
  window.__instanceCardPolling = true;
  function poll() {
    var card = document.getElementById("instance-card");
    var url = card && card.getAttribute("data-refresh-url");
    if (!url) { window.__instanceCardPolling = false; return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html.trim();
          var fresh = holder.querySelector("#instance-card");
          if (fresh) { card.replaceWith(fresh); }
        }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
