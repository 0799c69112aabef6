// Planners: an export form that builds a download link to
// /v1/export/requests.{format} with the chosen filters.
import { h, isoDay, show } from './api.js';
import { requestsLegend } from './residents.js';

const $ = id => document.getElementById(id);

export function exportURL(form) {
  const el = form.elements;
  const p = new URLSearchParams();
  if (el.from.value) p.set('from', el.from.value);
  if (el.to.value) p.set('to', el.to.value);
  const types = [...el.types.selectedOptions].map(o => o.value);
  if (types.length) p.set('types', types.join(','));
  const ids = el.ids.value.split(',').map(s => s.trim()).filter(Boolean);
  if (el.layer.value && ids.length) p.set(el.layer.value, ids.join(','));
  if (el.status.value) p.set('status', el.status.value);
  if (el.duplicates.value) p.set('duplicates', el.duplicates.value);
  const q = p.toString();
  return `/v1/export/requests.${el.format.value}${q ? '?' + q : ''}`;
}

export function initPlanners(ctx) {
  const form = $('export-form');
  const types = form.elements.types;
  for (const s of ctx.services) types.append(h('option', { value: s.service_code }, `${s.service_name} (${s.service_code})`));
  const to = new Date(), from = new Date();
  from.setDate(from.getDate() - 30);
  to.setDate(to.getDate() + 1);
  form.elements.from.value = isoDay(from);
  form.elements.to.value = isoDay(to);
  const update = () => {
    const url = exportURL(form);
    $('e-link').href = url;
    $('e-link').textContent = `Download ${form.elements.format.selectedOptions[0].textContent}`;
    $('e-url').textContent = url;
  };
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  form.addEventListener('submit', e => { e.preventDefault(); $('e-link').click(); });
  update();
  return {
    // The map keeps the residents' request layers as context.
    enter() { show($('map-legend'), requestsLegend()); },
    leave() {},
  };
}
