// The search box of the way in (templates/inspection/search_box.html): as the inspector
// types, the parcels whose id starts so (GET /query/parcelSuggest) are listed under the
// box, each a link to its page; arrow keys move in the list, Enter opens the one chosen.
(function () {
  "use strict";
  var input = document.getElementById("find-q");
  if (!input) { return; }
  var list = document.getElementById("find-suggestions");
  var status = document.getElementById("find-status");
  var url = input.getAttribute("data-suggest");
  var timer = null, pending = null, active = -1;

  function links() { return list.querySelectorAll("a"); }

  function mark(index) {
    var all = links();
    active = all.length ? (index + all.length) % all.length : -1;
    Array.prototype.forEach.call(all, function (a, i) {
      a.className = i === active ? "active" : "";
      a.setAttribute("aria-selected", i === active ? "true" : "false");
    });
  }

  function show(items) {
    list.textContent = "";
    items.forEach(function (p) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = p.url;
      a.setAttribute("role", "option");
      a.setAttribute("data-pid", p.pid);
      a.textContent = p.pid + " · " + p.aoi + " " + p.year + (p.ptype ? " " + p.ptype : "") +
        (p.cropname || p.cropcode ? ": " + (p.cropname || p.cropcode) : "");
      li.appendChild(a);
      list.appendChild(li);
    });
    active = -1;
    status.textContent = items.length ? "" : "no parcel id starts so in your datasets";
  }

  function ask() {
    var text = input.value.trim();
    if (pending) { pending.abort(); }
    if (!text) { show([]); status.textContent = ""; return; }
    pending = new AbortController();
    fetch(url + "?limit=10&q=" + encodeURIComponent(text),
          { headers: { "Accept": "application/json" }, credentials: "same-origin", signal: pending.signal })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (answer.ok) { show(answer.body.suggestions); }
        else { show([]); status.textContent = answer.body.error || "the server refused"; }
      })
      .catch(function (error) { if (error.name !== "AbortError") { status.textContent = "no answer from the server"; } });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); mark(active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); mark(active - 1); }
    else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.href = links()[active].href;
    } else if (event.key === "Escape") { show([]); }
  });
})();
