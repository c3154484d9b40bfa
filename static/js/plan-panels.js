// The plan page's side panels (the template's details, the plan's progress) take several
// API calls, up to 20 for a plan of thousands, so the page is sent without them and they are
// loaded here, from their own page, once the page is shown. Without JavaScript the
// placeholder keeps its link to that page; if loading fails, it says so and links there.
(function () {
  "use strict";
  var slot = document.querySelector("[data-panels-url]");
  if (!slot) return;
  var url = slot.dataset.panelsUrl;
  var status = slot.querySelector("[data-panels-status]");

  function say(text, withLink) {
    status.textContent = text;
    if (withLink) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = "Open them on their own page";
      status.append(" ", link, ".");
    }
  }

  // The footer's "Data as of" names the oldest data on the page: the panels' answers
  // may have been fetched before the plan's (both come from the shared cache).
  function showOldestDataTime(panelsPage) {
    var theirs = panelsPage.querySelector("footer time[data-local-time]");
    var ours = document.querySelector("footer time[data-local-time]");
    if (!theirs || !ours) return;
    var when = theirs.getAttribute("datetime");
    if (new Date(when) < new Date(ours.getAttribute("datetime"))) {
      ours.setAttribute("datetime", when);
      showLocalTime(ours);
    }
  }

  slot.setAttribute("aria-busy", "true");
  var spinner = document.createElement("span");
  spinner.className = "spinner-border spinner-border-sm me-2";
  spinner.setAttribute("aria-hidden", "true");
  say("Loading the template and progress…");
  status.prepend(spinner);

  fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    })
    .then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var panels = page.getElementById("plan-panels");
      // No panels: e.g. the login page, when the session ended in the meantime.
      if (!panels) throw new Error("no panels in the answer");
      slot.replaceChildren.apply(slot, Array.from(panels.childNodes));
      showOldestDataTime(page);
    })
    .catch(function () {
      say("The template and progress could not be loaded.", true);
    })
    .finally(function () {
      slot.removeAttribute("aria-busy");
    });
})();
