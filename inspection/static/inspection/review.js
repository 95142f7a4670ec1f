// The review list's keys (templates/inspection/review.html): j or ArrowDown the next
// parcel, k or ArrowUp the previous one, o the parcel's page, 1/2/3 choose the decision,
// c the comment; none while typing in the comment (Escape leaves it).
(function () {
  "use strict";
  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.href = link.href; }
  }
  var current = document.querySelector("#review-list tr.current");
  if (current && current.scrollIntoView) { current.scrollIntoView({ block: "center" }); }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "textarea" || tag === "input" && event.target.type === "text") {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var radios = document.querySelectorAll("#decision-form input[name=verdict]");
    switch (event.key) {
      case "j": case "ArrowDown": event.preventDefault(); go("review-next"); break;
      case "k": case "ArrowUp": event.preventDefault(); go("review-prev"); break;
      case "o": go("review-parcel-link"); break;
      case "1": case "2": case "3":
        var radio = radios[Number(event.key) - 1];
        if (radio) { radio.checked = true; radio.focus(); }
        break;
      case "c":
        event.preventDefault();
        var comment = document.getElementById("decision-comment");
        if (comment) { comment.focus(); }
        break;
      default: break;
    }
  });
})();
