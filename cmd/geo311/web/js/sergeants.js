// Sergeants: the chronic-problem map of their district, the overdue list
// by beat, the quarter's status report with a small chart. The staff key is
// kept in sessionStorage (this tab only) and sent as a Bearer token.
import { api, h, fmtDay, announce, show, errorBox } from './api.js';
import { showChronic, setRequestsVisible, CHRONIC, drawPattern } from './map.js';

const $ = id => document.getElementById(id);
const KEY = 'geo311.staffKey', DISTRICT = 'geo311.district';

function currentQuarter() {
  const d = new Date();
  return `${d.getFullYear()}Q${Math.floor(d.getMonth() / 3) + 1}`;
}

function swatch(color, kind) {
  const c = h('canvas', { width: 18, height: 18, 'aria-hidden': 'true' });
  const ctx = c.getContext('2d');
  drawPattern(ctx, color, kind, 18);
  ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.strokeRect(1, 1, 16, 16);
  return c;
}

export function chronicLegend(present) {
  const cats = present && present.size ? CHRONIC.filter(([c]) => present.has(c)) : CHRONIC.slice(0, 8);
  return h('div', {}, h('h3', {}, 'Hot-spot category'),
    h('ul', {}, cats.map(([, color, kind, label]) => h('li', {}, swatch(color, kind), label))),
    h('p', { class: 'hint' }, 'Colour, pattern and name each identify a category.'));
}

// barChart draws grouped horizontal bars as inline SVG.
export function barChart(rows, series, title) {
  const NS = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const barH = 9, gap = 6, labelW = 52, width = 360, plotW = width - labelW - 40;
  const groupH = series.length * barH + gap;
  const height = rows.length * groupH + 30;
  const max = Math.max(1, ...rows.flatMap(r => series.map(s => r[s.key] || 0)));
  const svg = el('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
  svg.append(el('title', { id: 'chart-title' }, title));
  svg.append(el('desc', { id: 'chart-desc' }, rows.map(r => `${r.area}: ` + series.map(s => `${s.label} ${r[s.key] || 0}`).join(', ')).join('; ')));
  rows.forEach((r, i) => {
    const y0 = i * groupH;
    svg.append(el('text', { x: 2, y: y0 + groupH / 2 + 2 }, r.area));
    series.forEach((s, j) => {
      const v = r[s.key] || 0, w = (v / max) * plotW, y = y0 + j * barH;
      const rect = el('rect', { x: labelW, y, width: Math.max(w, 0.5), height: barH - 1, fill: s.color });
      if (s.dash) { rect.setAttribute('stroke', '#000'); rect.setAttribute('stroke-dasharray', '2 1'); }
      svg.append(rect);
      svg.append(el('text', { x: labelW + w + 3, y: y + barH - 1 }, `${s.short} ${v}`));
    });
  });
  const ly = rows.length * groupH + 14;
  series.forEach((s, j) => {
    svg.append(el('rect', { x: labelW + j * 100, y: ly - 8, width: 10, height: 10, fill: s.color }));
    svg.append(el('text', { x: labelW + j * 100 + 14, y: ly + 1 }, `${s.short} = ${s.label}`));
  });
  return svg;
}

export function initSergeants(ctx) {
  const form = $('staff-form');
  form.elements.key.value = sessionStorage.getItem(KEY) || '';
  form.elements.district.value = sessionStorage.getItem(DISTRICT) || '';
  form.elements.quarter.value = currentQuarter();
  let shown = null;

  $('s-forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    form.elements.key.value = '';
    show($('s-overdue')); show($('s-report')); show($('s-chronic'));
    showChronic(ctx.map, null);
    announce('The staff key was removed from this tab.');
  });

  async function chronic(district) {
    const p = new URLSearchParams({ district });
    const r = await api('/v1/trends/chronic?' + p);
    if (!r.ok) { show($('s-chronic'), errorBox(r.message)); return; }
    const cells = (r.body.cells || []).filter(c => c.category && c.category !== 'no_pattern');
    const present = new Set(cells.map(c => c.category));
    showChronic(ctx.map, p, district);
    show($('map-legend'), chronicLegend(present));
    const counts = {};
    for (const c of cells) counts[c.category] = (counts[c.category] || 0) + 1;
    show($('s-chronic'), cells.length
      ? h('table', { id: 's-chronic-table' }, h('caption', {}, `Cells by category, last ${Array.isArray(r.body.weeks) ? r.body.weeks.length : r.body.weeks} weeks`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Category'), h('th', { scope: 'col' }, 'Cells'))),
        h('tbody', {}, CHRONIC.filter(([c]) => counts[c]).map(([c, color, kind, label]) =>
          h('tr', {}, h('td', {}, swatch(color, kind), ' ', label), h('td', {}, String(counts[c]))))))
      : h('p', {}, 'No emerging hot or cold spots in this district for the last weeks.'));
    // Fit the map to the district.
    const b = await api(`/v1/boundaries/district/${encodeURIComponent(district)}`);
    if (b.ok && b.body && b.body.geometry) {
      let minX = 180, minY = 90, maxX = -180, maxY = -90;
      const walk = a => { if (typeof a[0] === 'number') { minX = Math.min(minX, a[0]); maxX = Math.max(maxX, a[0]); minY = Math.min(minY, a[1]); maxY = Math.max(maxY, a[1]); } else a.forEach(walk); };
      walk(b.body.geometry.coordinates);
      ctx.map.fitBounds([[minX, minY], [maxX, maxY]], { padding: 30, duration: 0 });
    }
  }

  async function overdue(key, district) {
    const r = await api('/v1/requests?' + new URLSearchParams({ district, overdue: 'true', page_size: '500' }), { headers: { Authorization: 'Bearer ' + key } });
    if (!r.ok) {
      const msg = r.status === 401 || r.status === 403 ? `Your key was refused: ${r.message}` : r.message;
      show($('s-overdue'), errorBox(msg));
      return { ok: false, msg };
    }
    const reqs = r.body.requests || [];
    const byBeat = {};
    for (const q of reqs) {
      const beat = (q.areas || []).find(a => a.layer === 'beat')?.id || 'no beat';
      (byBeat[beat] ||= []).push(q);
    }
    const beats = Object.keys(byBeat).sort();
    show($('s-overdue'), reqs.length
      ? [h('p', {}, `${reqs.length} overdue in district ${district}${reqs.length >= 500 ? ' (first 500)' : ''}.`),
        ...beats.map(b => h('table', { class: 'overdue' },
          h('caption', {}, `Beat ${b} — ${byBeat[b].length} overdue`),
          h('thead', {}, h('tr', {}, ['Number', 'Type', 'Due', 'Ext.', 'Assigned'].map(t => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, byBeat[b].sort((x, y) => String(x.due_at).localeCompare(String(y.due_at))).map(q => h('tr', {},
            h('td', {}, q.number), h('td', {}, q.service_name || q.service_code), h('td', {}, fmtDay(q.due_at)),
            h('td', {}, q.extensions ? `${q.extensions} (+${q.extension_days} d)` : '0'),
            h('td', {}, q.assigned_to || 'unassigned'))))))]
      : h('p', {}, `Nothing is overdue in district ${district}.`));
    return { ok: true, n: reqs.length };
  }

  async function report(district, quarter) {
    const r = await api('/v1/reports/status?' + new URLSearchParams({ district, quarter }));
    if (!r.ok) { show($('s-report'), errorBox(r.message)); return; }
    const rows = r.body.rows || [];
    const beats = rows.filter(x => x.layer === 'beat');
    const total = rows.find(x => x.layer === 'district') || {};
    const pct = v => v === null || v === undefined ? 'n/a' : `${v.toFixed(1)}%`;
    const days = v => v === null || v === undefined ? 'n/a' : v.toFixed(1);
    const csv = '/v1/reports/status?' + new URLSearchParams({ district, quarter, format: 'csv' });
    show($('s-report'),
      h('p', {}, `${r.body.period?.label || quarter}, district ${district}: received ${total.received ?? 0}, closed ${total.closed ?? 0}, open at end ${total.open_at_end ?? 0}, overdue ${total.overdue_at_end ?? 0}, closed within SLA ${pct(total.closed_within_sla_pct)}, median ${days(total.median_days_to_close)} days to close.`),
      beats.length ? barChart(beats, [
        { key: 'received', label: 'received', short: 'R', color: '#64748b' },
        { key: 'closed', label: 'closed', short: 'C', color: '#1d4ed8' },
        { key: 'overdue_at_end', label: 'overdue', short: 'O', color: '#b91c1c', dash: true },
      ], `Requests by beat, ${r.body.period?.label || quarter}`) : null,
      h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Status report table (scrolls sideways)' }, h('table', { id: 's-report-table' }, h('caption', {}, 'By beat'),
        h('thead', {}, h('tr', {}, ['Beat', 'Received', 'Closed', 'Overdue', 'In SLA', 'Median d', 'P90 d', 'Ext.', '>3 reassigned'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, [...beats, total].filter(x => x.layer).map(x => h('tr', {},
          h('th', { scope: 'row' }, x.layer === 'district' ? `District ${x.area}` : x.area),
          ...[x.received, x.closed, x.overdue_at_end, pct(x.closed_within_sla_pct), days(x.median_days_to_close), days(x.p90_days_to_close), x.extensions, x.concerns_reassigned_over_3].map(v => h('td', {}, String(v ?? 0)))))))),
      h('p', {}, h('a', { href: csv, download: '' }, 'Download the report as CSV')));
  }

  form.addEventListener('submit', async e => {
    e.preventDefault();
    const key = form.elements.key.value.trim(), district = form.elements.district.value.trim();
    const quarter = form.elements.quarter.value.trim() || currentQuarter();
    if (!key || !district) { announce('Give your staff key and district.'); (key ? form.elements.district : form.elements.key).focus(); return; }
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(DISTRICT, district);
    shown = district;
    show($('s-overdue'), h('p', {}, 'Loading…'));
    const [o] = await Promise.all([overdue(key, district), chronic(district), report(district, quarter)]);
    announce(o.ok ? `District ${district}: ${o.n} overdue requests listed by beat; chronic-problem map and status report shown.` : o.msg);
  });

  return {
    enter() {
      setRequestsVisible(ctx.map, false);
      show($('map-legend'), chronicLegend(null));
      if (shown) showChronic(ctx.map, new URLSearchParams({ district: shown }), shown);
    },
    leave() { showChronic(ctx.map, null); setRequestsVisible(ctx.map, true); },
  };
}
