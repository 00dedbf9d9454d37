// The plotly.js the site needs: the core (scatter, annotations, legend, hover, modebar, colour bars), the trace types
// the helpers package builds, and the Finnish and Swedish locales (maps.PLOTLY_CONFIG sets "locale").
// Keep TRACES in build.mjs and tests/test_bundle.py in step with this list.
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/choropleth'),
    require('plotly.js/lib/scattergeo'),
    require('plotly.js/lib/locales/fi'),
    require('plotly.js/lib/locales/sv'),
]);

module.exports = Plotly;
