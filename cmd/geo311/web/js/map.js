// The map: MapLibre GL JS 6.17.0 (vendored, see /web/vendor/UPDATE.md) with
// a style built here from geo311's own vector tiles, so no external tiles,
// glyphs or sprites are needed. Status and hot-spot categories are told
// apart by shape and pattern as well as by colour; the legend names them.
import { Map as MLMap, NavigationControl, ScaleControl, Popup } from '/web/vendor/maplibre-gl/maplibre-gl.mjs';

const origin = window.location.origin;

export function tileURL(layer, params) {
  const q = params && [...params].length ? '?' + params.toString() : '';
  return `${origin}/tiles/${layer}/{z}/{x}/{y}.mvt${q}`;
}

// Status styles: open requests are filled circles, closed ones rings.
export const STATUS = {
  open: { color: '#c2410c', label: 'Open', shape: 'filled circle' },
  closed: { color: '#1d4ed8', label: 'Closed', shape: 'ring (hollow circle)' },
};

// Emerging hot spot categories: colour, pattern and label.
export const CHRONIC = [
  ['new_hot_spot', '#f59e0b', 'dots', 'New hot spot'],
  ['consecutive_hot_spot', '#ea580c', 'hlines', 'Consecutive hot spot'],
  ['intensifying_hot_spot', '#b91c1c', 'cross', 'Intensifying hot spot'],
  ['persistent_hot_spot', '#7f1d1d', 'solid', 'Persistent hot spot'],
  ['diminishing_hot_spot', '#db2777', 'diag', 'Diminishing hot spot'],
  ['sporadic_hot_spot', '#a16207', 'vlines', 'Sporadic hot spot'],
  ['oscillating_hot_spot', '#9333ea', 'diag2', 'Oscillating hot spot'],
  ['historical_hot_spot', '#6b7280', 'grid', 'Historical hot spot'],
  ['new_cold_spot', '#60a5fa', 'dots', 'New cold spot'],
  ['consecutive_cold_spot', '#3b82f6', 'hlines', 'Consecutive cold spot'],
  ['intensifying_cold_spot', '#1e40af', 'cross', 'Intensifying cold spot'],
  ['persistent_cold_spot', '#1e3a8a', 'solid', 'Persistent cold spot'],
  ['diminishing_cold_spot', '#0891b2', 'diag', 'Diminishing cold spot'],
  ['sporadic_cold_spot', '#0e7490', 'vlines', 'Sporadic cold spot'],
  ['oscillating_cold_spot', '#0f766e', 'diag2', 'Oscillating cold spot'],
  ['historical_cold_spot', '#94a3b8', 'grid', 'Historical cold spot'],
];

// drawPattern paints a 16x16 pattern tile of a colour on a 2D context.
export function drawPattern(ctx, color, kind, size = 16) {
  ctx.clearRect(0, 0, size, size);
  ctx.fillStyle = color + '55';
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 2;
  const line = (x1, y1, x2, y2) => { ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke(); };
  switch (kind) {
    case 'solid': ctx.fillRect(0, 0, size, size); break;
    case 'dots': for (const [x, y] of [[4, 4], [12, 12]]) { ctx.beginPath(); ctx.arc(x, y, 2.5, 0, 2 * Math.PI); ctx.fill(); } break;
    case 'hlines': line(0, 4, size, 4); line(0, 12, size, 12); break;
    case 'vlines': line(4, 0, 4, size); line(12, 0, 12, size); break;
    case 'diag': line(0, size, size, 0); line(-4, 4, 4, -4); line(12, 20, 20, 12); break;
    case 'diag2': line(0, 0, size, size); line(-4, 12, 4, 20); line(12, -4, 20, 4); break;
    case 'cross': line(0, size, size, 0); line(0, 0, size, size); break;
    case 'grid': line(0, 8, size, 8); line(8, 0, 8, size); break;
  }
}

function patternImage(color, kind) {
  const c = document.createElement('canvas');
  c.width = c.height = 16;
  const ctx = c.getContext('2d');
  drawPattern(ctx, color, kind);
  return ctx.getImageData(0, 0, 16, 16);
}

function style(requestParams) {
  return {
    version: 8,
    sources: {
      districts: { type: 'vector', tiles: [tileURL('boundaries', new URLSearchParams({ layer: 'district' }))], maxzoom: 16 },
      beats: { type: 'vector', tiles: [tileURL('boundaries', new URLSearchParams({ layer: 'beat' }))], minzoom: 11, maxzoom: 16 },
      requests: { type: 'vector', tiles: [tileURL('requests', requestParams)], maxzoom: 16 },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#e8ebef' } },
      { id: 'district-fill', type: 'fill', source: 'districts', 'source-layer': 'boundaries', paint: { 'fill-color': '#fbfbf8', 'fill-opacity': 1 } },
      { id: 'beat-line', type: 'line', source: 'beats', 'source-layer': 'boundaries', paint: { 'line-color': '#9aa3ad', 'line-width': 0.8, 'line-dasharray': [3, 2] } },
      { id: 'district-line', type: 'line', source: 'districts', 'source-layer': 'boundaries', paint: { 'line-color': '#4b5563', 'line-width': 1.6 } },
      { id: 'request-hex', type: 'fill', source: 'requests', 'source-layer': 'requests', filter: ['==', ['geometry-type'], 'Polygon'],
        paint: { 'fill-color': ['interpolate', ['linear'], ['get', 'count'], 1, '#fde7d3', 10, '#f6a66b', 50, '#d9480f', 200, '#7c2d12'], 'fill-opacity': 0.55, 'fill-outline-color': '#7c2d12' } },
      { id: 'request-open', type: 'circle', source: 'requests', 'source-layer': 'requests',
        filter: ['all', ['==', ['geometry-type'], 'Point'], ['==', ['get', 'status'], 'open']],
        paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 4, 17, 8], 'circle-color': STATUS.open.color, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.2 } },
      { id: 'request-closed', type: 'circle', source: 'requests', 'source-layer': 'requests',
        filter: ['all', ['==', ['geometry-type'], 'Point'], ['==', ['get', 'status'], 'closed']],
        paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 4, 17, 8], 'circle-color': '#ffffff', 'circle-opacity': 0.9, 'circle-stroke-color': STATUS.closed.color, 'circle-stroke-width': 2.5 } },
    ],
  };
}

export const REQUEST_LAYERS = ['request-open', 'request-closed'];

// createMap builds the map in the #map element.
export function createMap({ center, zoom, requestParams }) {
  const map = new MLMap({
    container: 'map', style: style(requestParams), center, zoom,
    attributionControl: { compact: true, customAttribution: 'Boundaries and requests: geo311' },
    keyboard: true, maxZoom: 19, hash: false,
  });
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.on('load', () => {
    for (const [cat, color, kind] of CHRONIC) {
      map.addImage('pat-' + cat, patternImage(color, kind));
    }
  });
  return map;
}

export function setRequestFilter(map, params) {
  const src = map.getSource('requests');
  if (src) src.setTiles([tileURL('requests', params)]);
}

// showChronic draws the chronic layer for a district (or removes it).
export function showChronic(map, params, district) {
  for (const id of ['chronic-fill', 'chronic-line', 'district-focus']) if (map.getLayer(id)) map.removeLayer(id);
  if (map.getSource('chronic')) map.removeSource('chronic');
  if (!params) return;
  map.addSource('chronic', { type: 'vector', tiles: [tileURL('chronic', params)], maxzoom: 16 });
  const pattern = ['match', ['get', 'category']];
  const color = ['match', ['get', 'category']];
  for (const [cat, col] of CHRONIC) { pattern.push(cat, 'pat-' + cat); color.push(cat, col); }
  pattern.push('pat-historical_hot_spot');
  color.push('#6b7280');
  const before = map.getLayer('request-hex') ? 'request-hex' : undefined;
  map.addLayer({ id: 'chronic-fill', type: 'fill', source: 'chronic', 'source-layer': 'chronic', paint: { 'fill-pattern': pattern, 'fill-opacity': 0.9 } }, before);
  if (district) {
    map.addLayer({ id: 'district-focus', type: 'line', source: 'districts', 'source-layer': 'boundaries', filter: ['==', ['get', 'id'], district],
      paint: { 'line-color': '#111827', 'line-width': 4 } });
  }
  map.addLayer({ id: 'chronic-line', type: 'line', source: 'chronic', 'source-layer': 'chronic', paint: { 'line-color': color, 'line-width': 1.5 } }, before);
}

export function setRequestsVisible(map, visible) {
  for (const id of ['request-hex', ...REQUEST_LAYERS]) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }
}

export function popup(map, lngLat, node) {
  return new Popup({ closeButton: true, focusAfterOpen: true, maxWidth: '280px' }).setLngLat(lngLat).setDOMContent(node).addTo(map);
}

// featureNumber turns a requests-tile feature id back into its tracking
// number (tiles.FeatureID): kind·10^10 + yy·10^8 + sequence.
export function featureNumber(id) {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return null;
  const kind = Math.floor(id / 1e10), rest = id % 1e10;
  const yy = String(Math.floor(rest / 1e8)).padStart(2, '0'), seq = String(rest % 1e8).padStart(8, '0');
  switch (kind) {
    case 1: return `SR${yy}-${seq}`;
    case 2: return `CC${yy}-${seq}`;
    case 3: return `${yy}-${seq}`;
  }
  return null;
}
