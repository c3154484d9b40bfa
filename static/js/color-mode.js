// Dark mode that follows the system setting, with Bootstrap 5.3 colour modes.
// Loaded in <head> without `defer` so the theme is set before the first paint (no
// white flash in dark mode); the CSP forbids inline script, hence its own file.
(function () {
  "use strict";
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  function apply() {
    document.documentElement.setAttribute("data-bs-theme", dark.matches ? "dark" : "light");
  }
  apply();
  dark.addEventListener("change", apply);
})();
