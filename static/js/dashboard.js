// Small progressive enhancements. The dashboard works without JavaScript.

// "Data as of 10:42:07 UTC" is rendered in the server's time zone; show the reader's own
// clock instead, keeping the full date and zone in the tooltip.
function showLocalTime(element) {
  const when = new Date(element.getAttribute("datetime"));
  if (Number.isNaN(when.getTime())) return;
  element.textContent = when.toLocaleTimeString([], {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  element.title = when.toString();
}

document.querySelectorAll("time[data-local-time]").forEach(showLocalTime);

// htmx (static/vendor/htmx) loads the plan page's panels and the list's results. While a
// request runs, its target says it is busy; content htmx brings in gets local times too.
document.addEventListener("htmx:beforeRequest", function (event) {
  event.detail.target.setAttribute("aria-busy", "true");
});
document.addEventListener("htmx:afterRequest", function (event) {
  event.detail.target.removeAttribute("aria-busy");
});
document.addEventListener("htmx:load", function (event) {
  const root = event.detail.elt;
  if (!root.querySelectorAll) return;
  root.querySelectorAll("time[data-local-time]").forEach(showLocalTime);
  // The footer's "Data as of" names the oldest data on the page: the plan page's panels
  // may hold answers fetched before the page's own (both come from the shared cache).
  const theirs = root.querySelector("time[data-panels-as-of]");
  const ours = document.getElementById("data-as-of");
  if (!theirs || !ours) return;
  const when = theirs.getAttribute("datetime");
  if (new Date(when) < new Date(ours.getAttribute("datetime"))) {
    ours.setAttribute("datetime", when);
    showLocalTime(ours);
  }
});

// The plan page's people section follows its own links and search in place (hx-boost):
// focus goes to its heading, where the new view starts, instead of being lost with the
// link that was followed.
document.addEventListener("htmx:afterSettle", function (event) {
  if (!event.detail.boosted) return;
  const heading = document.getElementById("people-heading");
  if (!heading) return;
  heading.setAttribute("tabindex", "-1");
  heading.focus({ preventScroll: true });
});

// A session that ended meanwhile answers with the login page: go there instead of
// swapping it into a part of this page.
document.addEventListener("htmx:beforeSwap", function (event) {
  const answeredFrom = new URL(event.detail.xhr.responseURL, window.location.href);
  if (answeredFrom.pathname === "/accounts/login/") {
    event.detail.shouldSwap = false;
    window.location.assign(answeredFrom.href);
  }
});

// When htmx cannot load a part of the page: an element with data-load-error says so and
// links to the part's own page; anything else (the list's filters) opens the requested
// page in full, where the error page or the form's errors explain what went wrong.
function loadFailed(event) {
  const element = event.detail.elt;
  const url = event.detail.pathInfo.finalRequestPath || event.detail.pathInfo.requestPath;
  const status = element.querySelector("[data-load-status]");
  if (!element.dataset.loadError || !status) {
    window.location.assign(url);
    return;
  }
  const link = document.createElement("a");
  link.href = url;
  link.textContent = "Open them on their own page";
  status.replaceChildren(element.dataset.loadError + " ", link, ".");
  status.setAttribute("role", "alert");
}
document.addEventListener("htmx:responseError", loadFailed);
document.addEventListener("htmx:sendError", loadFailed);
