/* The French date picker on every Isoko date field (console/views/dates.py), including
 * the filter rows FAB adds to a list after the page has loaded.
 * forceParse is off: what a person types (03/12/2026, or ISO 2026-12-03) is kept as typed
 * and read by the server, never rewritten or emptied by the picker. */
$(function () {
  var options = {
    format: 'dd/mm/yyyy',
    language: 'fr',
    weekStart: 1,
    autoclose: true,
    todayHighlight: true,
    forceParse: false
  };
  $(document).on('focus', '.isoko-date input', function () {
    var $input = $(this);
    if (!$input.data('datepicker')) {
      $input.datepicker(options).datepicker('show');
    }
  });
});
