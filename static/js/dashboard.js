// Small progressive enhancements. The dashboard works without JavaScript.

// "Data as of 10:42:07 UTC" is rendered in the server's time zone; show the reader's own
// clock instead, keeping the full date and zone in the tooltip. plan-panels.js calls it
// again when the plan page's panels turn out to hold older data than the page.
function showLocalTime(element) {
  const when = new Date(element.getAttribute("datetime"));
  if (Number.isNaN(when.getTime())) return;
  element.textContent = when.toLocaleTimeString([], {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  element.title = when.toString();
}

document.querySelectorAll("time[data-local-time]").forEach(showLocalTime);
