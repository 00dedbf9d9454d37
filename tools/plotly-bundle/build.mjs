// Builds ../../src/helpers/assets/plotly-sote.min.js, a partial plotly.js bundle, the way plotly.js builds its own
// dist files (esbuild-config.js in the plotly.js package: iife, global "Plotly", es2016), minified.
//   npm ci && npm run build
import { build } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const version = require('plotly.js/package.json').version;
const TRACES = ['scatter', 'bar', 'choropleth', 'scattergeo'];
const outfile = path.join(here, '..', '..', 'src', 'helpers', 'assets', 'plotly-sote.min.js');

// plotly.js's registry require()s maplibre-gl's stylesheet for the "map" traces only; esbuild would still bundle it
// (a separate 83 KB .css). The site draws no map-tile traces, so the stylesheet is replaced by nothing.
const noMaplibreCss = {
    name: 'no-maplibre-css',
    setup(b) {
        b.onResolve({ filter: /maplibre-gl\.css$/ }, () => ({ path: 'maplibre-gl.css', namespace: 'empty-css' }));
        b.onLoad({ filter: /.*/, namespace: 'empty-css' }, () => ({ contents: '', loader: 'js' }));
    },
};

// Smaller without changing what the site's figures draw: d3-geo-projection only adds projections beyond d3-geo's own
// (the maps use mercator, from d3-geo), country-iso-search only serves locationmode "country names" (the maps use
// their own GeoJSON ids), and the core's components below are layout features no figure uses. An omitted component
// is registered as an empty module of the same name, so plotly's lookups find no methods and do nothing, as for any
// component a bundle leaves out. tests/test_bundle.py checks that the figures use none of them.
const OMITTED_COMPONENTS = ['updatemenus', 'sliders', 'rangeslider', 'rangeselector', 'images', 'annotations3d'];
const SHIMS = {
    'd3-geo-projection': 'module.exports = {};',
    'country-iso-search': 'module.exports = { COUNTRIES: [], createLookup: function () { return { lookupAlpha3: function () { return undefined; } }; } };',
};
const omit = {
    name: 'omit-unused',
    setup(b) {
        const components = new RegExp(`^\\./components/(${OMITTED_COMPONENTS.join('|')})$`);
        b.onResolve({ filter: components }, (args) => (/[\\/]plotly\.js[\\/]src[\\/]core\.js$/.test(args.importer)
            ? { path: args.path.split('/').pop(), namespace: 'omitted-component' } : undefined));
        b.onLoad({ filter: /.*/, namespace: 'omitted-component' },
            (args) => ({ contents: `module.exports = { moduleType: 'component', name: ${JSON.stringify(args.path)} };`, loader: 'js' }));
        const shims = new RegExp(`^(${Object.keys(SHIMS).join('|')})$`);
        b.onResolve({ filter: shims }, (args) => ({ path: args.path, namespace: 'shim' }));
        b.onLoad({ filter: /.*/, namespace: 'shim' }, (args) => ({ contents: SHIMS[args.path], loader: 'js' }));
    },
};

// The same header as plotly's own dist files (a licence comment minifiers and readers keep), naming the contents.
const banner = `/**
* plotly.js (sote partial bundle: ${TRACES.join(', ')}; locales fi, sv - minified) v${version}
* Copyright 2012-2026, Plotly, Inc.
* All rights reserved.
* Licensed under the MIT license
* Built from the npm package plotly.js@${version} by tools/plotly-bundle (entry.js, build.mjs); left out:
* components ${OMITTED_COMPONENTS.join(', ')}; d3-geo-projection; country-iso-search.
*/`;

await build({
    entryPoints: [path.join(here, 'entry.js')],
    outfile,
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    banner: { js: banner },
    plugins: [noMaplibreCss, omit],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
    target: 'es2016',
    logLevel: 'info',
});

const text = readFileSync(outfile, 'utf8');
if (!text.includes(`"${version}"`) && !text.includes(`'${version}'`)) {
    throw new Error(`the bundle does not carry plotly.js version ${version}`);
}
console.log(`${path.relative(process.cwd(), outfile)}: ${statSync(outfile).size} bytes, plotly.js v${version}`);
