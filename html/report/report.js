// The per-op report: a link to a folded section (the headline's rows, the contents, a URL's
// #fragment) opens the <details> that holds it before the browser scrolls there.
(function () {
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    for (; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
  }
  window.addEventListener("hashchange", function () {
    openTarget();
    var el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (el) el.scrollIntoView();
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (location.hash) {
      openTarget();
      var el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (el) el.scrollIntoView();
    }
  });
})();
