// Residents: requests near a place, what a point belongs to, filing a
// request (similar ones first, "me too"), status lookup.
import { api, h, kv, fmtDate, fmtDay, announce, show, errorBox, isoDay } from './api.js';
import { setRequestFilter, setRequestsVisible, popup, featureNumber, REQUEST_LAYERS, STATUS } from './map.js';

const $ = id => document.getElementById(id);

function statusMark(status) {
  const s = STATUS[status] || STATUS.open;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', '14'); svg.setAttribute('height', '14'); svg.setAttribute('aria-hidden', 'true');
  const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
  c.setAttribute('cx', '7'); c.setAttribute('cy', '7'); c.setAttribute('r', status === 'closed' ? '5' : '6');
  c.setAttribute('fill', status === 'closed' ? '#fff' : s.color);
  c.setAttribute('stroke', status === 'closed' ? s.color : '#fff');
  c.setAttribute('stroke-width', status === 'closed' ? '2.5' : '1');
  svg.append(c);
  return svg;
}

function hexMark() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', '16'); svg.setAttribute('height', '16'); svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS('http://www.w3.org/2000/svg', 'polygon');
  p.setAttribute('points', '8,1 14,4.5 14,11.5 8,15 2,11.5 2,4.5');
  p.setAttribute('fill', '#f6a66b'); p.setAttribute('stroke', '#7c2d12');
  svg.append(p);
  return svg;
}

export function requestsLegend() {
  return h('div', {},
    h('h3', {}, 'Requests'),
    h('ul', {},
      h('li', {}, statusMark('open'), `${STATUS.open.label} (${STATUS.open.shape})`),
      h('li', {}, statusMark('closed'), `${STATUS.closed.label} (${STATUS.closed.shape})`),
      h('li', {}, hexMark(), 'Hexagon: number of requests (darker = more; zoom in for single requests)')),
    h('h3', {}, 'Boundaries'),
    h('ul', {}, h('li', {}, '━ district (solid)'), h('li', {}, '┅ beat (dashed, from zoom 11)')));
}

export function initResidents(ctx) {
  const services = ctx.services;
  const byCode = Object.fromEntries(services.map(s => [s.service_code, s]));
  let map = null;
  let picking = false;

  // Type selects, grouped.
  const groups = {};
  for (const s of services) (groups[s.group || 'Other'] ||= []).push(s);
  for (const sel of [$('f-type'), $('r-type')]) {
    for (const [g, list] of Object.entries(groups)) {
      sel.append(h('optgroup', { label: g }, list.map(s => h('option', { value: s.service_code }, s.service_name))));
    }
  }

  function params() {
    const p = new URLSearchParams();
    const type = $('f-type').value, status = $('f-status').value;
    const days = document.querySelector('#filter-form input[name=days]:checked')?.value;
    if (type) p.set('types', type);
    if (status) p.set('status', status);
    if (days) {
      const d = new Date();
      d.setDate(d.getDate() - Number(days));
      p.set('from', isoDay(d));
    }
    return p;
  }

  $('filter-form').addEventListener('change', () => {
    if (!map) return;
    setRequestFilter(map, params());
    const p = params();
    announce(`Showing ${p.get('status') || 'open and closed'} requests${p.get('types') ? ' of type ' + (byCode[p.get('types')]?.service_name || p.get('types')) : ''}${p.get('from') ? ' filed since ' + p.get('from') : ''}.`);
  });
  $('filter-form').addEventListener('submit', e => e.preventDefault());

  $('near-form').addEventListener('submit', e => {
    e.preventDefault();
    const m = $('near-point').value.match(/^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$/);
    if (!m || Math.abs(+m[1]) > 90 || Math.abs(+m[2]) > 180) {
      announce('Give latitude and longitude as two numbers, for example 41.8836, -87.6319.');
      return;
    }
    map.jumpTo({ center: [+m[2], +m[1]], zoom: 15 });
    whereIs(+m[1], +m[2]);
  });
  $('near-locate').addEventListener('click', () => {
    if (!navigator.geolocation) { announce('This browser cannot tell your location.'); return; }
    navigator.geolocation.getCurrentPosition(
      pos => { map.jumpTo({ center: [pos.coords.longitude, pos.coords.latitude], zoom: 15 }); whereIs(pos.coords.latitude, pos.coords.longitude); },
      err => announce('Your location is not available: ' + err.message));
  });

  // What a point belongs to (POST /v1/route: every layer's area).
  async function whereIs(lat, lon) {
    const out = $('where');
    show(out, h('p', {}, 'Looking up…'));
    // GET /v1/whereami (areas, beat meetings, contacts) where the server
    // has it; POST /v1/route (areas only) otherwise.
    let r = await api('/v1/whereami?' + new URLSearchParams({ lat, lon, format: 'json' }));
    let card = r.ok && r.body && Array.isArray(r.body.areas);
    if (!card && (r.status === 404 || r.status === 405)) r = await api('/v1/route', { method: 'POST', json: { lat, lon } });
    if (!r.ok) { show(out, errorBox(r.message)); announce(r.message); return; }
    const names = { beat: 'Police beat', sector: 'Police sector', district: 'Police district', ward: 'Ward', community_area: 'Community area', precinct: 'Police precinct' };
    const areas = r.body.areas || [];
    const pairs = [['Point', `${lat.toFixed(5)}, ${lon.toFixed(5)}`]];
    for (const a of areas) pairs.push([names[a.layer] || a.layer, a.name ? `${a.id} (${a.name})` : a.id]);
    show(out, kv(pairs), card ? h('p', {}, h('a', { href: '/v1/whereami?' + new URLSearchParams({ lat, lon, format: 'html' }), target: '_blank', rel: 'noopener' },
      'Beat meetings and contacts for this place (printable card)')) : null);
    const get = l => areas.find(a => a.layer === l)?.id;
    announce(`This point is in beat ${get('beat') || 'none'}, district ${get('district') || 'none'}, ward ${get('ward') || 'none'}.`);
  }

  // One request's details (Open311 with extensions).
  async function requestDetails(number) {
    const r = await api(`/open311/v2/requests/${encodeURIComponent(number)}.json?extensions=true`);
    if (!r.ok) return errorBox(r.message);
    const it = r.body[0] || {};
    const ea = it.extended_attributes || {};
    return h('div', { class: 'request-detail' },
      h('h3', {}, it.service_name || it.service_code),
      kv([
        ['Number', it.service_request_id],
        ['Status', h('span', {}, statusMark(it.status), ' ', it.status === 'closed' ? 'Closed' : 'Open')],
        ['Filed', fmtDate(it.requested_datetime)],
        ['Updated', fmtDate(it.updated_datetime)],
        ['Expected by', fmtDay(it.expected_datetime)],
        ['Duplicates', String(ea.duplicate_count ?? 0)],
        ['"Me too"', String(ea.me_too ?? 0)],
        ['Duplicate of', ea.parent_service_request_id],
        ['Address', it.address],
        ['Department', it.agency_responsible || ea.department],
        ['Note', it.status_notes],
      ]));
  }

  async function openRequestPopup(number, lngLat) {
    const node = await requestDetails(number);
    popup(map, lngLat, node);
    announce(`Request ${number}: details opened.`);
  }

  // The list of requests drawn in view, for keyboard and screen readers.
  function updateList() {
    const feats = map.queryRenderedFeatures({ layers: REQUEST_LAYERS.filter(l => map.getLayer(l)) });
    const seen = new Set();
    const items = [];
    for (const f of feats) {
      const n = featureNumber(f.id);
      if (!n || seen.has(n)) continue;
      seen.add(n);
      items.push({ n, f });
    }
    const list = $('visible-list');
    if (!items.length) {
      const hex = map.queryRenderedFeatures({ layers: ['request-hex'] });
      const total = hex.reduce((s, f) => s + (f.properties.count || 0), 0);
      show(list, h('li', {}, hex.length ? `${total} requests in ${hex.length} hexagons; zoom in to list them.` : 'No requests in view with these filters.'));
      return;
    }
    show(list, items.slice(0, 60).map(({ n, f }) => h('li', {},
      h('button', { type: 'button', class: 'secondary', onclick: () => openRequestPopup(n, f.geometry.coordinates) },
        statusMark(f.properties.status), ` ${n} · ${byCode[f.properties.type]?.service_name || f.properties.type} · ${f.properties.status} · ${f.properties.age_days} days`))));
    if (items.length > 60) list.append(h('li', {}, `and ${items.length - 60} more; zoom in.`));
  }

  // Filing.
  const intakeKey = ctx.config.intake_key || '';
  if (!intakeKey) {
    const off = $('intake-off');
    off.hidden = false;
    off.textContent = ctx.config.intake_message || 'Filing requests from this page is not enabled on this server.';
  }

  async function renderAttributes(code) {
    const box = $('r-attrs');
    show(box);
    const s = byCode[code];
    $('r-type-desc').textContent = s?.description || '';
    if (!s || !s.metadata) return;
    const r = await api(`/open311/v2/services/${encodeURIComponent(code)}.json`);
    if (!r.ok) { show(box, errorBox(r.message)); return; }
    const attrs = (r.body.attributes || []).filter(a => a.variable !== false).sort((a, b) => (a.order || 0) - (b.order || 0));
    for (const a of attrs) {
      const id = 'attr-' + a.code;
      const label = a.description + (a.required ? ' (required)' : '');
      if (a.datatype === 'singlevaluelist') {
        box.append(h('label', { for: id }, label), h('select', { id, 'data-attr': a.code, required: a.required },
          h('option', { value: '' }, 'Choose'), (a.values || []).map(v => h('option', { value: v.key }, v.name))));
      } else if (a.datatype === 'multivaluelist') {
        box.append(h('fieldset', {}, h('legend', {}, label), (a.values || []).map(v =>
          h('label', {}, h('input', { type: 'checkbox', 'data-attr-multi': a.code, value: v.key }), v.name))));
      } else {
        box.append(h('label', { for: id }, label), h(a.datatype === 'text' ? 'textarea' : 'input',
          { id, 'data-attr': a.code, required: a.required, inputmode: a.datatype === 'number' ? 'decimal' : undefined }));
      }
    }
  }
  $('r-type').addEventListener('change', e => { renderAttributes(e.target.value); show($('r-similar')); });

  $('r-pick').addEventListener('click', () => {
    picking = !picking;
    $('r-pick').setAttribute('aria-pressed', String(picking));
    map.getCanvas().style.cursor = picking ? 'crosshair' : '';
    announce(picking ? 'Click the place on the map, or press Enter on the map to use its centre.' : 'Picking cancelled.');
    if (picking) map.getCanvas().focus();
  });

  function setPlace(lat, lon) {
    picking = false;
    $('r-pick').setAttribute('aria-pressed', 'false');
    map.getCanvas().style.cursor = '';
    $('r-lat').value = lat.toFixed(6);
    $('r-lon').value = lon.toFixed(6);
    $('r-where').textContent = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
    announce(`Place chosen: ${lat.toFixed(5)}, ${lon.toFixed(5)}.`);
    show($('r-similar'));
    $('r-check').focus();
  }

  function formValues() {
    const f = { service_code: $('r-type').value, lat: $('r-lat').value, long: $('r-lon').value };
    for (const k of ['address_string', 'description', 'email']) {
      const v = $('file-form').elements[k].value.trim();
      if (v) f[k] = v;
    }
    const pairs = Object.entries(f);
    for (const el of $('r-attrs').querySelectorAll('[data-attr]')) if (el.value.trim()) pairs.push([`attribute[${el.dataset.attr}]`, el.value.trim()]);
    for (const el of $('r-attrs').querySelectorAll('[data-attr-multi]:checked')) pairs.push([`attribute[${el.dataset.attrMulti}][]`, el.value]);
    return pairs;
  }

  async function meToo(number, btn) {
    btn.disabled = true;
    const r = await api(`/v1/requests/${encodeURIComponent(number)}/me-too`, { method: 'POST' });
    if (!r.ok) { btn.disabled = false; announce(r.message); show($('r-result'), errorBox(r.message)); return; }
    const msg = `Thank you: you were added to ${r.body.service_request_id}. ${r.body.supporters} people have reported it.`;
    show($('r-result'), h('p', { class: 'ok' }, msg));
    announce(msg);
  }

  // Step 1: similar open requests nearby; step 2: file.
  $('file-form').addEventListener('submit', async e => {
    e.preventDefault();
    const code = $('r-type').value, lat = $('r-lat').value, lon = $('r-lon').value;
    const problems = [];
    if (!code) problems.push('choose a type');
    if (!lat) problems.push('pick the place on the map');
    if (problems.length) {
      const msg = 'Before checking: ' + problems.join(' and ') + '.';
      show($('r-similar'), errorBox(msg)); announce(msg);
      (code ? $('r-pick') : $('r-type')).focus();
      return;
    }
    show($('r-result'));
    const r = await api(`/v1/requests/nearby?${new URLSearchParams({ lat, lon, service_code: code })}`);
    if (!r.ok) { show($('r-similar'), errorBox(r.message)); announce(r.message); return; }
    const list = r.body.requests || [];
    const fileBtn = h('button', { type: 'button', id: 'r-submit', disabled: !intakeKey, onclick: () => file(fileBtn) },
      list.length ? 'None of these: file a new request' : 'File the request');
    show($('r-similar'),
      h('h4', {}, list.length ? `${list.length} similar open request${list.length > 1 ? 's' : ''} within ${r.body.radius_m} m` : `No similar open requests within ${r.body.radius_m} m.`),
      list.length ? h('ul', { class: 'plain', id: 'r-similar-list' }, list.map(x => {
        const it = x.request;
        const btn = h('button', { type: 'button', class: 'secondary', onclick: () => meToo(it.service_request_id, btn) }, `Me too: ${it.service_request_id}`);
        return h('li', {}, h('div', {}, `${it.service_request_id} · ${it.service_name} · ${Math.round(x.distance_m)} m away · filed ${fmtDay(it.requested_datetime)} · ${x.supporters} reported`), btn);
      })) : null,
      intakeKey ? null : h('p', { class: 'notice' }, ctx.config.intake_message || 'Filing is not enabled on this server.'),
      h('div', { class: 'row' }, fileBtn));
    announce(list.length ? `${list.length} similar open requests nearby. Add yourself with “Me too”, or file a new request.` : 'No similar open requests nearby. You can file the request.');
  });

  async function file(btn) {
    if (!intakeKey) return;
    btn.disabled = true;
    const pairs = formValues();
    pairs.push(['api_key', intakeKey]);
    const r = await api('/open311/v2/requests.json', {
      method: 'POST', form: pairs,
      headers: { 'Idempotency-Key': 'web-' + (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)) },
    });
    if (!r.ok) {
      btn.disabled = false;
      show($('r-result'), errorBox(r.message)); announce('Not filed: ' + r.message);
      return;
    }
    const it = r.body[0];
    const out = [h('p', {}, 'Filed. Your tracking number:'), h('p', { class: 'tracking', id: 'r-number' }, it.service_request_id)];
    if (it.pin) out.push(h('p', {}, 'Your PIN (shown only once; keep it to check the status): ', h('strong', { id: 'r-pin' }, it.pin)));
    if (it.service_notice) out.push(h('p', { class: 'hint' }, it.service_notice));
    if (it.expected_datetime) out.push(h('p', {}, 'Expected by ' + fmtDay(it.expected_datetime)));
    show($('r-result'), h('div', { class: 'ok' }, out));
    show($('r-similar'));
    $('l-number').value = it.service_request_id;
    announce(`Filed. Your tracking number is ${it.service_request_id}.`);
    setRequestFilter(map, params());
  }

  // Status lookup.
  $('lookup-form').addEventListener('submit', async e => {
    e.preventDefault();
    const number = $('l-number').value.trim().toUpperCase();
    const pin = $('l-pin').value.trim();
    const out = $('l-result');
    if (!number) { show(out, errorBox('Give a tracking number.')); return; }
    show(out, h('p', {}, 'Looking up…'));
    let node;
    if (number.startsWith('CC')) {
      if (!pin) { node = errorBox('A community concern needs the PIN you were given when it was filed.'); }
      else {
        const r = await api(`/v1/concerns/${encodeURIComponent(number)}?${new URLSearchParams({ pin })}`);
        if (!r.ok) {
          node = errorBox(r.status === 404 ? 'No concern matches this control number and PIN.' : r.message);
        } else {
          const c = r.body;
          node = h('div', { class: 'ok', id: 'l-found' }, h('h4', {}, c.service_name), kv([
            ['Control number', c.control_number], ['Status', c.status], ['Stage', c.state],
            ['Filed', fmtDate(c.requested_at)], ['Updated', fmtDate(c.updated_at)], ['Due', fmtDay(c.due_at)], ['Closed', c.closed_at ? fmtDate(c.closed_at) : null]]),
          (c.notes || []).length ? h('ul', { class: 'plain' }, c.notes.map(n => h('li', {}, `${fmtDate(n.at)} · ${n.event}${n.text ? ": " + n.text : ""}`))) : null);
        }
      }
    } else {
      const d = await requestDetails(number);
      node = d.classList.contains('error') ? errorBox(d.textContent.includes('not found') || d.textContent.includes('no request') ? `No request ${number} was found.` : d.textContent) : h('div', { class: 'ok', id: 'l-found' }, d);
    }
    show(out, node);
    announce(node.id === 'l-found' ? `Status of ${number}: found.` : node.textContent);
  });

  return {
    params,
    attach(m) {
      map = m;
      map.on('click', ev => {
        const { lat, lng } = ev.lngLat;
        if (picking) { setPlace(lat, lng); return; }
        const feats = map.queryRenderedFeatures(ev.point, { layers: REQUEST_LAYERS.filter(l => map.getLayer(l)) });
        const n = feats.length ? featureNumber(feats[0].id) : null;
        if (n) openRequestPopup(n, feats[0].geometry.coordinates);
        whereIs(lat, lng);
      });
      map.getCanvas().addEventListener('keydown', ev => {
        if (ev.key !== 'Enter') return;
        const c = map.getCenter();
        if (picking) setPlace(c.lat, c.lng); else whereIs(c.lat, c.lng);
      });
      for (const l of REQUEST_LAYERS) {
        map.on('mouseenter', l, () => { if (!picking) map.getCanvas().style.cursor = 'pointer'; });
        map.on('mouseleave', l, () => { if (!picking) map.getCanvas().style.cursor = ''; });
      }
      map.on('idle', updateList);
    },
    enter() {
      if (!map) return;
      setRequestsVisible(map, true);
      show($('map-legend'), requestsLegend());
    },
    leave() {},
  };
}
