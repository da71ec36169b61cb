/* Small page behaviours that templates ask for with data- attributes. The Content-Security-Policy
 * (journal/settings.py) runs no inline script and no on…= handler, so these live here:
 *
 *   <select data-autosubmit>        a filter that shows its choice at once (the form has a <noscript> button)
 *   <form data-confirm="Question?"> asks before sending; «Cancel» sends nothing
 *   <button data-print>             prints the page (credential slips)
 */
(function () {
  "use strict";

  document.addEventListener("change", function (evt) {
    var field = evt.target;
    if (!(field.matches && field.matches("[data-autosubmit]")) || !field.form) return;
    if (field.form.requestSubmit) {
      field.form.requestSubmit();
    } else {
      field.form.submit();
    }
  });

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) evt.preventDefault();
  });

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-print]");
    if (!button) return;
    evt.preventDefault();
    window.print();
  });
})();
