/* Small page behaviours that templates ask for with data- attributes. The Content-Security-Policy
 * (journal/settings.py) runs no inline script and no on…= handler, so these live here:
 *
 *   <select data-autosubmit>        a filter that shows its choice at once on a click, on Enter or on leaving
 *                                   the field from the keyboard (the form has a <noscript> button)
 *   <form data-confirm="Question?"> asks before sending; «Cancel» sends nothing
 *   <button data-print>             prints the page (credential slips)
 */
(function () {
  "use strict";

  function send(form) {
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function autosubmitting(field) {
    return field && field.matches && field.matches("[data-autosubmit]") && field.form;
  }

  // A closed <select> changes its value on every arrow key. Sending the form then would jump to another
  // page while a keyboard user is still choosing (WCAG 3.2.2 "On Input"): a choice made from the keyboard
  // is sent on Enter or when the field loses the focus; a click sends at once.
  var keyed = null;
  document.addEventListener("keydown", function (evt) {
    var field = evt.target;
    if (!autosubmitting(field)) return;
    if (evt.key === "Enter") {
      if (field.getAttribute("data-pending")) {
        evt.preventDefault();
        field.removeAttribute("data-pending");
        send(field.form);
      }
      keyed = null;
      return;
    }
    if (evt.key !== "Tab" && evt.key !== "Shift") keyed = field;
  });

  document.addEventListener("change", function (evt) {
    var field = evt.target;
    if (!autosubmitting(field)) return;
    if (keyed === field) {
      field.setAttribute("data-pending", "1");
      return;
    }
    send(field.form);
  });

  document.addEventListener("focusout", function (evt) {
    var field = evt.target;
    if (!autosubmitting(field)) return;
    keyed = null;
    if (field.getAttribute("data-pending")) {
      field.removeAttribute("data-pending");
      send(field.form);
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
