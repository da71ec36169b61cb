/* The journal's cells: every mark cell saves by itself through htmx (issue 3, point 2).
 *
 * A cell is <td class="cell" data-url data-student data-column|data-period data-version> holding an
 * <input class="mk">. Typing changes nothing until the value is committed (Enter, an arrow, Tab or
 * leaving the cell); then the cell shows "saving", and the server answers with the cell itself:
 * saved (200), conflict (409, with the current value) or refused (422, with the message). A save that
 * fails on the network or with a server error is retried with growing pauses and the cell says so —
 * it never shows "saved" unless the server said it saved.
 *
 * Keyboard: digits type a mark (4/3 where allowed); Enter and ↓ go to the next student, ↑ back;
 * ← → move along the row; Delete removes the mark (asking for the reason when the rules need one).
 */
(function () {
  "use strict";

  var RETRY_MAX_MS = 30000;

  function msg(name) {
    return document.body.getAttribute("data-msg-" + name) || "";
  }

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (e) {
      return {};
    }
  }

  function setState(td, state, text) {
    td.classList.remove("saving", "saved", "error", "conflict", "offline");
    if (state) td.classList.add(state);
    var note = td.querySelector(".cellmsg");
    if (text) {
      if (!note) {
        note = document.createElement("span");
        note.className = "cellmsg";
        note.setAttribute("role", "alert");
        td.appendChild(note);
      }
      note.textContent = text;
    } else if (note) {
      note.remove();
    }
  }

  function save(td, value, reason, attempt) {
    attempt = attempt || 0;
    var values = { student: td.dataset.student, version: td.dataset.version || "", value: value };
    if (td.dataset.column) values.column = td.dataset.column;
    if (td.dataset.period) values.period = td.dataset.period;
    if (reason) values.reason = reason;
    td.dataset.sending = value;
    td.dataset.reason = reason || "";
    td.dataset.attempt = String(attempt);
    setState(td, "saving", attempt ? msg("retrying") : "");
    htmx.ajax("POST", td.dataset.url, {
      source: td,
      target: td,
      swap: "outerHTML",
      values: values,
      headers: csrfHeaders(),
    });
  }

  function retryLater(td, text) {
    var attempt = Number(td.dataset.attempt || "0") + 1;
    var delay = Math.min(RETRY_MAX_MS, 1000 * Math.pow(2, attempt - 1));
    setState(td, "offline", text);
    window.setTimeout(function () {
      if (td.isConnected) save(td, td.dataset.sending || "", td.dataset.reason || "", attempt);
    }, delay);
  }

  // A network failure or a server error: keep what was typed, say so, and send it again.
  document.addEventListener("htmx:sendError", function (evt) {
    var td = evt.detail.elt;
    if (td && td.matches && td.matches("td.cell")) retryLater(td, msg("offline"));
  });
  document.addEventListener("htmx:responseError", function (evt) {
    var td = evt.detail.elt;
    if (!(td && td.matches && td.matches("td.cell"))) return;
    var status = evt.detail.xhr.status;
    if (status >= 500) {
      retryLater(td, msg("server"));
    } else {
      setState(td, "error", evt.detail.xhr.responseText.slice(0, 200) || msg("refused"));
    }
  });

  // Attendance and remark forms after the lesson day: ask for the reason before sending (R4).
  document.addEventListener("htmx:configRequest", function (evt) {
    var elt = evt.detail.elt;
    var asker = elt && elt.closest && elt.closest("[data-ask-reason]");
    if (!asker || evt.detail.parameters.reason) return;
    var reason = window.prompt(asker.getAttribute("data-ask-reason"));
    if (!reason) {
      evt.preventDefault();
      return;
    }
    evt.detail.parameters.reason = reason;
  });

  // A refused save that a reason would let through: ask once, then send the typed value again.
  function askReason(td) {
    var reason = window.prompt(td.getAttribute("data-needs-reason-text") || msg("reason"));
    if (reason && reason.trim()) {
      var input = td.querySelector("input.mk");
      var typed = td.getAttribute("data-typed") || "";
      if (input) input.value = typed;
      save(td, typed, reason.trim(), 0);
    }
  }

  htmx.onLoad(function (root) {
    var cells = root.matches && root.matches("td.cell") ? [root] : root.querySelectorAll("td.cell");
    cells.forEach(function (td) {
      if (td.hasAttribute("data-needs-reason")) {
        var note = td.querySelector(".cellmsg");
        td.setAttribute("data-needs-reason-text", (note ? note.textContent + "\n" : "") + msg("reason"));
        window.setTimeout(function () {
          askReason(td);
        }, 0);
      }
    });
  });

  // --- typing and moving ---------------------------------------------------------------------------

  function grid(input) {
    var table = input.closest("table");
    var rows = Array.prototype.filter.call(table.tBodies[0].rows, function (tr) {
      return tr.querySelector("input.mk");
    });
    return rows;
  }

  function move(input, dRow, dCol) {
    var td = input.closest("td");
    var tr = td.closest("tr");
    var rows = grid(input);
    var inputs = Array.prototype.slice.call(tr.querySelectorAll("input.mk"));
    var col = inputs.indexOf(input);
    var r = rows.indexOf(tr);
    var target = null;
    if (dRow) {
      var next = rows[r + dRow];
      if (next) target = next.querySelectorAll("input.mk")[col] || null;
    } else {
      target = inputs[col + dCol] || null;
    }
    if (target) {
      target.focus();
      target.select();
    } else {
      input.blur();
    }
  }

  document.addEventListener("focusin", function (evt) {
    if (evt.target.matches && evt.target.matches("input.mk")) evt.target.select();
  });

  document.addEventListener("change", function (evt) {
    var input = evt.target;
    if (!(input.matches && input.matches("input.mk"))) return;
    save(input.closest("td.cell"), input.value.trim(), "", 0);
  });

  document.addEventListener("keydown", function (evt) {
    var input = evt.target;
    if (!(input.matches && input.matches("input.mk"))) return;
    var whole = input.selectionStart === 0 && input.selectionEnd === input.value.length;
    switch (evt.key) {
      case "Enter":
      case "ArrowDown":
        evt.preventDefault();
        move(input, 1, 0);
        break;
      case "ArrowUp":
        evt.preventDefault();
        move(input, -1, 0);
        break;
      case "ArrowLeft":
        if (whole || input.selectionStart === 0) {
          evt.preventDefault();
          move(input, 0, -1);
        }
        break;
      case "ArrowRight":
        if (whole || input.selectionEnd === input.value.length) {
          evt.preventDefault();
          move(input, 0, 1);
        }
        break;
      case "Delete":
        if (input.value) {
          evt.preventDefault();
          input.value = "";
          save(input.closest("td.cell"), "", "", 0);
        }
        break;
      default:
        break;
    }
  });

  // --- the history popover ---------------------------------------------------------------------------

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("button.hist");
    if (!button) return;
    evt.preventDefault();
    var pop = document.getElementById("history-pop");
    if (!pop) return;
    htmx.ajax("GET", button.getAttribute("data-history"), { target: pop, swap: "innerHTML" }).then(function () {
      if (pop.showPopover && !pop.matches(":popover-open")) pop.showPopover();
      // A keyboard user lands in the history (Escape or «Close» brings them back to the button).
      historyOpener = button;
      pop.setAttribute("tabindex", "-1");
      pop.focus();
    });
  });

  var historyOpener = null;
  document.addEventListener(
    "toggle",
    function (evt) {
      if (evt.target.id !== "history-pop" || evt.newState !== "closed") return;
      var opener = historyOpener;
      historyOpener = null;
      var active = document.activeElement;
      var lost = !active || active === document.body || evt.target.contains(active);
      if (opener && opener.isConnected && lost) opener.focus();
    },
    true
  );

  // --- keeping the keyboard user's place across swaps --------------------------------------------------

  // A saved cell or row comes back from the server and replaces the one the user is working in. htmx
  // puts the focus back on an element with the same id (mark inputs and attendance selects have ids);
  // anything else in a swapped row (a remark's form or buttons) hands the focus to the same cell of the
  // new row — to its «+ remark» when the user was writing one — so it never drops to the top of the page.
  var focusedRow = null;
  var focusedCell = -1;
  var focusedInDetails = false;
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    var row = target && target.closest ? target.closest("tr[id]") : null;
    var active = document.activeElement;
    focusedRow = row && row.contains(active) ? row.id : null;
    var cell = focusedRow && active.closest("td");
    focusedCell = cell ? cell.cellIndex : -1;
    focusedInDetails = Boolean(focusedRow && active.closest("details"));
  });
  document.addEventListener("htmx:afterSwap", function () {
    var row = focusedRow ? document.getElementById(focusedRow) : null;
    focusedRow = null;
    var active = document.activeElement;
    if (!row || (active && active !== document.body && active.isConnected)) return;
    var visible = function (scope, selector) {
      if (!scope) return null;
      var controls = scope.querySelectorAll(selector);
      return Array.prototype.find.call(controls, function (el) {
        return el.getClientRects().length > 0 && !el.disabled;
      });
    };
    var any = "input:not([type=hidden]), select, textarea, button, summary, a[href]";
    var cell = row.cells[focusedCell];
    var control = (focusedInDetails && visible(cell, "summary")) || visible(cell, any) || visible(row, any);
    if (control) control.focus();
  });
})();
