// "Copy link" buttons: <button data-copy-from="<input id>" data-copy-status="<element id>" hidden>.
// Without JavaScript, or without clipboard access, the button stays hidden and the link
// is still there to select in its read-only field.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy-from]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copyFrom);
    var status = document.getElementById(button.dataset.copyStatus);
    if (!field) return;
    field.addEventListener("focus", function () { field.select(); });
    if (!navigator.clipboard || !window.isSecureContext) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () { if (status) status.textContent = "Link copied to the clipboard."; },
        function () {
          field.select();
          if (status) status.textContent = "Press Ctrl+C (⌘C on a Mac) to copy the selected link.";
        }
      );
    });
  });
})();
