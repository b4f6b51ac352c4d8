/* Keyboard shortcuts for the workbench. Progressive enhancement only: every action is a plain
   link or form that works without this file. Keys are ignored while typing in a field. */
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-rows] [data-row]"));
  }

  var current = -1;

  function select(index) {
    var list = rows();
    if (!list.length) { return; }
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (row, i) { row.classList.toggle("is-selected", i === current); });
    var link = list[current].querySelector("[data-row-link]");
    if (link) { link.focus(); }
    list[current].scrollIntoView({ block: "nearest" });
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function click(element) {
    if (element) { element.click(); return true; }
    return false;
  }

  function openDecision(key) {
    var panel = document.querySelector('details[data-decision="' + key + '"]');
    if (!panel) { return false; }
    panel.open = true;
    var first = panel.querySelector("input:not([type=hidden]), textarea, select");
    (first || panel.querySelector("summary")).focus();
    return true;
  }

  var pendingG = null;

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    if (pendingG) {
      window.clearTimeout(pendingG);
      pendingG = null;
      var nav = document.querySelector('[data-shortcut-nav="' + event.key + '"]');
      if (nav) { event.preventDefault(); nav.click(); }
      return;
    }
    var handled = true;
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current < 0 ? 0 : current - 1); break;
      case "c": {
        var list = rows();
        var row = list[current] || (current < 0 ? list[0] : null);
        handled = click(row && row.querySelector("[data-claim]")) || click(document.querySelector('[data-shortcut="c"]'));
        break;
      }
      case "/": {
        var search = document.querySelector("[data-shortcut-search]");
        if (search) { search.focus(); search.select(); } else { handled = false; }
        break;
      }
      case "a": handled = openDecision("a"); break;
      case "x": handled = openDecision("x"); break;
      case "e": handled = openDecision("e"); break;
      case "g": pendingG = window.setTimeout(function () { pendingG = null; }, 1200); break;
      case "?": {
        var help = document.getElementById("shortcuts");
        if (help) { help.open = !help.open; help.querySelector("summary").focus(); }
        break;
      }
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  // Tabbing into a row selects it, so j/k continue from where the focus is.
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("[data-rows] [data-row]");
    if (!row) { return; }
    var list = rows();
    current = list.indexOf(row);
    list.forEach(function (r) { r.classList.toggle("is-selected", r === row); });
  });

  // After a refused form, take the focus to the list of problems.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // The counter's receipt: a print button (without JavaScript, the browser's own Print).
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
