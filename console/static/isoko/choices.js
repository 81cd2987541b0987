/* Relation filters on large tables (console/views/choices.py): once FAB's filter script
   has put the field in the filter table, it becomes a select2 search box whose options
   come from the view's choices route, twenty at a time, as the user types. */
(function ($) {
  "use strict";
  var FRENCH = {
    errorLoading: function () { return "Les résultats n'ont pas pu être chargés."; },
    inputTooLong: function () { return "Texte trop long."; },
    loadingMore: function () { return "Chargement de résultats supplémentaires…"; },
    noResults: function () { return "Aucun résultat"; },
    searching: function () { return "Recherche en cours…"; },
    removeAllItems: function () { return "Tout effacer"; }
  };

  function enhance(select) {
    var $select = $(select);
    if ($select.data("select2") || !$select.closest(".filters").length) {
      return;
    }
    $select.select2({
      theme: "bootstrap",
      width: "100%",
      allowClear: true,
      placeholder: $select.data("placeholder"),
      language: FRENCH,
      ajax: {
        url: $select.data("choices-url"),
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "", page: params.page || 1 }; }
      }
    });
  }

  function scan(root) {
    if ($(root).is("select.isoko-choice-search")) {
      enhance(root);
    }
    $(root).find("select.isoko-choice-search").each(function () { enhance(this); });
  }

  $(function () {
    scan(document.body);
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        record.addedNodes.forEach(function (node) {
          if (node.nodeType === 1) {
            scan(node);
          }
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  });
})(jQuery);
