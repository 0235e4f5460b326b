// naive console: progressive enhancement only; every page works without it.
// - [data-copy=ID] buttons copy the value of the input #ID.
// - a form submits once: its buttons are disabled after the first submit,
//   so a double click cannot send an action twice.
(function () {
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-copy]");
    if (!b) return;
    var input = document.getElementById(b.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = "Copy"; }, 2000); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (f.dataset.submitted) { ev.preventDefault(); return; }
    f.dataset.submitted = "1";
    setTimeout(function () {
      f.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // A page shown again from the back-forward cache may submit again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitted]").forEach(function (f) {
      delete f.dataset.submitted;
      f.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });
})();
