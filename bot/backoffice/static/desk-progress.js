// The live bar of a broadcast or a report: polls the progress JSON and updates the page, until
// the work is over (a report's page then reloads, to show its download). Without JavaScript
// the page has a plain "Refresh" link instead.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || !box.hasAttribute("data-running")) {
    return;
  }
  var bar = document.getElementById("bar");
  var percent = document.getElementById("percent");
  var text = document.getElementById("progress-text");
  var refresh = document.getElementById("refresh");
  if (refresh) {
    refresh.hidden = true;
  }
  function show(data) {
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    percent.textContent = String(data.percent);
    if (text.textContent !== data.text) {
      text.textContent = data.text;
    }
    if (!data.running) {
      if (box.hasAttribute("data-reload-when-done")) {
        window.location.reload();
        return false;
      }
      var stop = document.getElementById("stop");
      if (stop) {
        stop.hidden = true;
      }
      return false;
    }
    return true;
  }
  function poll() {
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (data) {
        if (data === null || show(data)) {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
