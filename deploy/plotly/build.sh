#!/usr/bin/env bash
# Build dashboards/assets/plotly-isoko.min.js: Plotly.js with only the traces the dashboards
# draw (index.js), 1.3 MB instead of the full 4.8 MB bundle (430 kB instead of 1.5 MB gzipped).
# Dash includes every script of dashboards/assets in the dashboards' pages, and dcc.Graph
# uses window.Plotly when it is defined, so the full bundle is never downloaded.
# Rebuild when the plotly Python package changes its Plotly.js version: package.json pins
# the same version (tests/test_deploy.py compares them in the browser).
# Needs node and npm (Debian: apt-get install nodejs npm); the output is committed.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
out=../../dashboards/assets/plotly-isoko.min.js
# Same settings as plotly.js's own esbuild-config.js, minified, without the map traces' CSS.
npx esbuild index.js --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
  --define:global=window --define:define.amd=false --define:process.env.NODE_DEBUG=false \
  --alias:stream=stream-browserify --outfile=build/plotly-isoko.min.js --log-level=warning
cp build/plotly-isoko.min.js "$out"
echo "written: $out ($(wc -c < "$out") bytes)"
