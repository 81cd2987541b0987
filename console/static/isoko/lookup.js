/* The report forms' typeahead (reports/views.py ReportLookupView): as the user types a
   cooperative's ANACOOP number or name, or a receipt number or asset tag, the field's
   datalist fills with the matching records the user may see. Without script the field
   still takes what is typed; the server resolves it. */
(function () {
  "use strict";

  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-lookup-url");
    var timer = null;
    var asked = "";
    if (!list || !url) {
      return;
    }
    input.addEventListener("input", function () {
      var text = input.value.trim();
      clearTimeout(timer);
      if (text.length < 2 || text === asked) {
        return;
      }
      timer = setTimeout(function () {
        asked = text;
        fetch(url + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (rows) {
            while (list.firstChild) {
              list.removeChild(list.firstChild);
            }
            rows.forEach(function (row) {
              var option = document.createElement("option");
              option.value = row.value;
              option.label = row.label;
              option.textContent = row.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a help, not a requirement */ });
      }, 200);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input.isoko-lookup"), attach);
  });
})();
