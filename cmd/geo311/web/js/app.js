// geo311 web page: three views (residents, sergeants, planners) around one
// map. Plain ES modules, no build step.
import { api, announce } from './api.js';
import { createMap, featureNumber } from './map.js';
import { initResidents } from './residents.js';
import { initSergeants } from './sergeants.js';
import { initPlanners } from './planners.js';

async function main() {
  const [cfg, services, tj] = await Promise.all([
    api('/web/config.json'), api('/open311/v2/services.json'), api('/tiles/boundaries.json'),
  ]);
  const config = cfg.ok ? cfg.body : {};
  document.getElementById('city-name').textContent = config.name || 'geo311';
  document.title = `${config.name || 'geo311'} — 311 neighbourhood map`;
  const svc = services.ok && Array.isArray(services.body) ? services.body : [];
  if (!services.ok) announce('Service types could not be read: ' + services.message);

  let center = config.center && (config.center[0] || config.center[1]) ? config.center : [0, 0];
  let zoom = 11;
  if (tj.ok && tj.body && tj.body.center) {
    center = [tj.body.center[0], tj.body.center[1]];
    zoom = Math.min(tj.body.center[2] || 11, 12);
  }
  const ctx = { config, services: svc, bounds: tj.ok ? tj.body.bounds : null };
  const residents = initResidents(ctx);
  ctx.map = createMap({ center, zoom, requestParams: residents.params() });
  // Tests and curious users reach the map here.
  window.geo311 = { map: ctx.map, featureNumber, ready: false };
  ctx.map.getCanvas().setAttribute('aria-label', 'Map. Arrow keys pan, plus and minus zoom.');
  const views = {
    residents,
    sergeants: initSergeants(ctx),
    planners: initPlanners(ctx),
  };
  await new Promise(resolve => ctx.map.once('load', resolve));
  residents.attach(ctx.map);
  if (ctx.bounds && tj.body.center) {
    ctx.map.fitBounds([[ctx.bounds[0], ctx.bounds[1]], [ctx.bounds[2], ctx.bounds[3]]], { padding: 20, duration: 0 });
  }

  let current = null;
  function route() {
    const name = (location.hash || '#residents').slice(1);
    const view = views[name] ? name : 'residents';
    for (const a of document.querySelectorAll('nav a[data-view]')) {
      if (a.dataset.view === view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    for (const s of document.querySelectorAll('main .view')) s.hidden = s.id !== 'view-' + view;
    if (current && current !== views[view] && current.leave) current.leave();
    current = views[view];
    if (current.enter) current.enter();
    window.geo311.view = view;
  }
  window.addEventListener('hashchange', () => { document.getElementById('live').textContent = ''; route(); document.getElementById('panel').focus(); });
  route();
  window.geo311.ready = true;
}

main().catch(e => {
  console.error(e);
  announce('The page failed to start: ' + e.message);
});
