'use strict';
// Plotly.js for Isoko's dashboards: only the trace types dashboards/ draws (scatter is in
// the core). A new chart of another type must be added here, then `bash build.sh`.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/funnel'),
    require('plotly.js/lib/calendars'),
]);

module.exports = Plotly;
