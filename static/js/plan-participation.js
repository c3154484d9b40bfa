// A plan's participation reads every conversation of the plan (a call per 100 of them),
// so the plan page is sent without it and it is loaded here, from its own page, once the
// page is shown. Where htmx is on the page, the placeholder's hx-get loads it instead.
// Without JavaScript the placeholder keeps its link to that page; if loading fails, it
// says so and links there. A failure to read the conversations comes back as the
// section itself, with its message, and is shown like a success.
(function () {
  "use strict";
  if (window.htmx) return;
  var slot = document.querySelector("[data-participation-url]");
  if (!slot) return;
  var url = slot.dataset.participationUrl;
  var status = slot.querySelector("[data-participation-status]");

  function say(text, withLink) {
    status.textContent = text;
    if (withLink) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = "Open it on its own page";
      status.append(" ", link, ".");
    }
  }

  slot.setAttribute("aria-busy", "true");
  var spinner = document.createElement("span");
  spinner.className = "spinner-border spinner-border-sm me-2";
  spinner.setAttribute("aria-hidden", "true");
  say("Loading who has completed, who is in progress and who has not started…");
  status.prepend(spinner);

  fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then(function (response) {
      return response.text();
    })
    .then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var section = page.getElementById("participation");
      // No section: e.g. the login page, or the error page of the plan itself.
      if (!section) throw new Error("no participation in the answer");
      slot.replaceWith(document.importNode(section, true));
    })
    .catch(function () {
      slot.removeAttribute("aria-busy");
      say("Participation could not be loaded.", true);
    });
})();
