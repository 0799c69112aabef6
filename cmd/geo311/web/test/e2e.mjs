// Browser test of geo311's web page, run by cmd/geo311/web_test.go against
// `geo311 serve --demo` with seeded requests. It drives Debian's Chromium
// through playwright-core (WebGL through SwiftShader) and prints one line
// per check: "ok <name>: detail" or "FAIL <name>: why". Exit status 1 when
// any check failed. Inputs (environment):
//   GEO311_URL          the server, e.g. http://127.0.0.1:41234
//   ARTIFACTS           folder for screenshots
//   CHROMIUM            browser binary (default /usr/bin/chromium)
//   REQUEST_NUMBER      a public service request filed by the Go test
//   CONCERN_NUMBER, CONCERN_PIN   a community concern and its PIN
//   STAFF_KEY, STAFF_DISTRICT     a staff key and a district with overdue requests
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
const base = env.GEO311_URL;
const artifacts = env.ARTIFACTS || 'artifacts';
mkdirSync(artifacts, { recursive: true });

let failed = 0;
const ok = (name, detail = '') => console.log(`ok ${name}: ${detail}`);
const fail = (name, why) => { failed++; console.log(`FAIL ${name}: ${why}`); };
async function check(name, fn) {
  try {
    const detail = await fn();
    ok(name, detail ?? '');
  } catch (e) {
    fail(name, (e && e.message ? e.message : String(e)).split('\n').slice(0, 6).join(' | '));
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-gpu-sandbox',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
const page = await context.newPage();
page.setDefaultTimeout(20000);
const problems = [];
page.on('console', m => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
page.on('pageerror', e => problems.push('page error: ' + e.message));
const offsite = [];
page.on('request', r => { if (!r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) offsite.push(r.url()); });

async function idle() {
  await page.evaluate(() => new Promise(resolve => {
    const m = window.geo311.map;
    if (m.loaded() && m.areTilesLoaded() && !m.isMoving()) { m.once('idle', resolve); m.triggerRepaint(); } else m.once('idle', resolve);
  }));
}
// The page files requests with the intake key the server puts in
// /web/config.json. When the server has none, the check below fails, and
// the test injects INTAKE_KEY (a key it created) into that answer so the
// page's filing path is still exercised against the real Open311 POST.
let injectedKey = false;
if (env.INTAKE_KEY) {
  await page.route(base + '/web/config.json', async route => {
    const resp = await route.fetch();
    const j = await resp.json();
    if (!j.intake_key) {
      injectedKey = true;
      j.intake_key = env.INTAKE_KEY;
      delete j.intake_message;
    }
    await route.fulfill({ response: resp, json: j });
  });
}
const shot = name => page.screenshot({ path: join(artifacts, name + '.png') });

try {
  await check('page loads', async () => {
    const res = await page.goto(base + '/', { waitUntil: 'load' });
    assert(res.status() === 200, `GET / answered ${res.status()}`);
    await page.waitForFunction(() => window.geo311 && window.geo311.ready, null, { timeout: 60000 });
    await idle();
    return await page.title();
  });

  await check('keyboard: skip link first', async () => {
    await page.keyboard.press('Tab');
    const t = await page.evaluate(() => document.activeElement.textContent);
    assert(/Skip/.test(t), `first Tab focused ${JSON.stringify(t)}`);
    return t;
  });

  await check('map renders boundary and request tiles', async () => {
    const r = await page.evaluate(() => {
      const m = window.geo311.map;
      return {
        districts: m.queryRenderedFeatures({ layers: ['district-fill'] }).length,
        hex: m.queryRenderedFeatures({ layers: ['request-hex'] }).map(f => ({ count: f.properties.count, c: f.geometry.type === 'Polygon' ? f.geometry.coordinates[0][0] : null })),
      };
    });
    assert(r.districts > 0, 'no district features rendered from /tiles/boundaries');
    assert(r.hex.length > 0, 'no request hexagons rendered from /tiles/requests');
    return `${r.districts} district features, ${r.hex.length} request hexagons`;
  });
  await shot('residents-city');

  // Zoom to the densest hexagon until single requests are drawn.
  let firstNumber = null;
  await check('map renders single requests with decodable ids', async () => {
    let zoom = 13;
    for (let tries = 0; tries < 6; tries++) {
      const best = await page.evaluate(() => {
        const m = window.geo311.map;
        const hx = m.queryRenderedFeatures({ layers: ['request-hex'] });
        hx.sort((a, b) => b.properties.count - a.properties.count);
        const f = hx[0];
        if (!f) return null;
        const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
        const c = ring.reduce((s, p) => [s[0] + p[0] / ring.length, s[1] + p[1] / ring.length], [0, 0]);
        return c;
      });
      if (best) await page.evaluate(([c, z]) => window.geo311.map.jumpTo({ center: c, zoom: z }), [best, zoom]);
      await idle();
      const pts = await page.evaluate(() => {
        const m = window.geo311.map;
        return m.queryRenderedFeatures({ layers: ['request-open', 'request-closed'] }).map(f => ({ id: f.id, status: f.properties.status, type: f.properties.type }));
      });
      if (pts.length) {
        firstNumber = await page.evaluate(id => window.geo311.featureNumber(id), pts[0].id);
        assert(firstNumber && /^(SR|CC)?\d\d-\d{8}$/.test(firstNumber), `feature id ${pts[0].id} does not decode to a tracking number`);
        return `${pts.length} request points at zoom ${zoom}, first ${firstNumber} (${pts[0].type}, ${pts[0].status})`;
      }
      zoom += 1;
    }
    throw new Error('no single request points rendered up to zoom 18');
  });

  await check('popup shows a request (type, status, dates, expected date, duplicates)', async () => {
    const pos = await page.evaluate(() => {
      const m = window.geo311.map;
      const f = m.queryRenderedFeatures({ layers: ['request-open', 'request-closed'] })[0];
      const p = m.project(f.geometry.coordinates);
      const r = m.getCanvas().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    });
    await page.mouse.click(pos.x, pos.y);
    const pop = page.locator('.maplibregl-popup-content .request-detail');
    await pop.waitFor();
    const text = await pop.innerText();
    for (const want of ['Number', 'Status', 'Filed', 'Expected by', 'Duplicates']) assert(text.includes(want), `popup lacks ${want}: ${text}`);
    return text.replace(/\s+/g, ' ').slice(0, 120);
  });

  await check('clicked point shows beat, district and ward', async () => {
    await page.locator('#where dl').waitFor();
    const text = await page.locator('#where').innerText();
    for (const want of ['Police beat', 'Police district', 'Ward']) assert(text.includes(want), `#where lacks ${want}: ${text}`);
    return text.replace(/\s+/g, ' ').slice(0, 120);
  });
  await shot('residents-popup');
  await page.keyboard.press('Escape');

  await check('filters change the tile query (status closed)', async () => {
    await page.selectOption('#f-status', 'closed');
    await page.check('#filter-form input[name=days][value=""]');
    await idle();
    const r = await page.evaluate(() => {
      const m = window.geo311.map;
      return { tiles: m.getSource('requests').tiles[0], statuses: [...new Set(m.queryRenderedFeatures({ layers: ['request-open', 'request-closed'] }).map(f => f.properties.status))] };
    });
    assert(r.tiles.includes('status=closed'), `tile URL ${r.tiles} has no status filter`);
    assert(!r.statuses.includes('open'), `open requests drawn with the closed filter: ${r.statuses}`);
    await page.selectOption('#f-status', '');
    await page.check('#filter-form input[name=days][value="90"]');
    await idle();
    return `${r.tiles.split('?')[1]} -> statuses drawn ${r.statuses.join(',') || 'none'}`;
  });

  // Filing through the page.
  await check('server config gives the page a web intake key', async () => {
    assert(!injectedKey, '/web/config.json has no intake_key: the server config has no web intake key, so residents cannot file from the page ' +
      '(the next checks use a key injected by the test)');
    return 'intake_key present';
  });
  let filed = null;
  await check('file a request through the page', async () => {
    const notice = await page.locator('#intake-off').isVisible();
    const center = await page.evaluate(() => { const c = window.geo311.map.getCenter(); return [c.lat, c.lng]; });
    await page.selectOption('#r-type', 'SGA');
    await page.click('#r-pick');
    const box = await page.locator('#map canvas').boundingBox();
    await page.mouse.click(box.x + box.width / 2 + 7, box.y + box.height / 2 + 5);
    await page.waitForFunction(() => document.getElementById('r-lat').value !== '');
    await page.fill('#r-desc', 'Rats by the garbage carts in the alley (browser test)');
    await page.click('#r-check');
    await page.locator('#r-submit').waitFor();
    await shot('residents-file-similar');
    if (notice) {
      const msg = await page.locator('#intake-off').innerText();
      throw new Error(`the page cannot file: /web/config.json has no intake_key, the page says: "${msg}"`);
    }
    const similar = await page.locator('#r-similar-list li').count();
    await page.click('#r-submit');
    await page.locator('#r-number').waitFor();
    filed = (await page.locator('#r-number').innerText()).trim();
    assert(/^SR\d\d-\d{8}$/.test(filed), `tracking number ${filed}`);
    await shot('residents-filed');
    return `${filed} at ${center.map(v => v.toFixed(4))}, after ${similar} similar requests were offered`;
  });

  await check('"me too" on a similar request (place picked with the keyboard)', async () => {
    // Go to the request filed by the Go test, pick the map centre with Enter.
    await page.fill('#near-point', `${env.REQUEST_LAT}, ${env.REQUEST_LON}`);
    await page.click('#near-form button[type=submit]');
    await page.selectOption('#r-type', 'SGA');
    await page.click('#r-pick');
    assert(await page.evaluate(() => document.activeElement === window.geo311.map.getCanvas()), 'the map did not take the focus for picking');
    await page.keyboard.press('Enter');
    await page.waitForFunction(lat => Math.abs(Number(document.getElementById('r-lat').value) - lat) < 1e-4, Number(env.REQUEST_LAT));
    await page.click('#r-check');
    await page.locator('#r-submit').waitFor();
    const items = await page.locator('#r-similar-list li').allInnerTexts();
    assert(items.some(t => t.includes(env.REQUEST_NUMBER)), `similar requests do not offer ${env.REQUEST_NUMBER}: ${JSON.stringify(items)}`);
    await shot('residents-me-too');
    await page.locator('#r-similar-list button', { hasText: env.REQUEST_NUMBER }).first().click();
    await page.locator('#r-result .ok').waitFor();
    const text = (await page.locator('#r-result').innerText()).trim();
    assert(text.includes(env.REQUEST_NUMBER), text);
    return text;
  });

  await check('status lookup by tracking number', async () => {
    const number = filed || env.REQUEST_NUMBER;
    assert(number, 'no request to look up');
    await page.fill('#l-number', number);
    await page.fill('#l-pin', '');
    await page.click('#lookup-form button[type=submit]');
    await page.locator('#l-found', { hasText: number }).waitFor();
    const text = await page.locator('#l-result').innerText();
    assert(text.includes(number), `lookup of ${number} shows ${text}`);
    return `${number}${filed ? ' (filed through the page)' : ' (filed by the Go test: filing through the page failed)'}: ${text.replace(/\s+/g, ' ').slice(0, 80)}`;
  });

  await check('concern status with its PIN', async () => {
    await page.fill('#l-number', env.CONCERN_NUMBER);
    await page.fill('#l-pin', env.CONCERN_PIN);
    await page.click('#lookup-form button[type=submit]');
    await page.locator('#l-found', { hasText: env.CONCERN_NUMBER }).waitFor();
    const text = await page.locator('#l-result').innerText();
    assert(text.includes(env.CONCERN_NUMBER) && /open/i.test(text), `with PIN: ${text}`);
    await shot('residents-concern');
    return text.replace(/\s+/g, ' ').slice(0, 100);
  });

  await check('concern status refused with a wrong PIN', async () => {
    const wrong = env.CONCERN_PIN.replace(/\d$/, d => String((Number(d) + 1) % 10));
    await page.fill('#l-pin', wrong);
    await page.click('#lookup-form button[type=submit]');
    await page.locator('#l-result .error').waitFor();
    const text = await page.locator('#l-result').innerText();
    assert(!text.includes('Stage') && /No concern matches/.test(text), `wrong PIN: ${text}`);
    return text;
  });

  // Sergeants.
  await check('sergeant view lists overdue requests by beat', async () => {
    await page.click('nav a[data-view=sergeants]');
    await page.fill('#s-key', env.STAFF_KEY);
    await page.fill('#s-district', env.STAFF_DISTRICT);
    await page.click('#staff-form button[type=submit]');
    await page.locator('#s-overdue table.overdue').first().waitFor();
    const r = await page.evaluate(() => ({
      tables: document.querySelectorAll('#s-overdue table.overdue').length,
      rows: document.querySelectorAll('#s-overdue table.overdue tbody tr').length,
      stored: sessionStorage.getItem('geo311.staffKey') !== null,
      first: document.querySelector('#s-overdue table.overdue tbody tr')?.innerText,
    }));
    assert(r.rows > 0, 'no overdue rows');
    assert(r.stored, 'the key is not in sessionStorage');
    return `${r.rows} overdue requests in ${r.tables} beats; first: ${r.first.replace(/\s+/g, ' ')}`;
  });

  await check('sergeant view: chronic map layer and status report chart', async () => {
    await page.locator('#s-report svg.chart, #s-report .error').first().waitFor();
    await page.locator('#s-chronic table, #s-chronic p').first().waitFor();
    await idle();
    const r = await page.evaluate(() => {
      const m = window.geo311.map;
      return {
        layer: !!m.getLayer('chronic-fill'),
        tiles: m.getSource('chronic')?.tiles?.[0],
        cells: m.queryRenderedFeatures({ layers: ['chronic-fill'] }).length,
        chart: document.querySelectorAll('#s-report svg.chart rect').length,
        reportError: document.querySelector('#s-report .error')?.innerText,
        chronicError: document.querySelector('#s-chronic .error')?.innerText,
        legend: document.getElementById('map-legend').innerText,
      };
    });
    assert(!r.reportError, 'status report: ' + r.reportError);
    assert(!r.chronicError, 'chronic: ' + r.chronicError);
    assert(r.layer && /district=/.test(r.tiles), `chronic layer ${r.layer} ${r.tiles}`);
    assert(r.chart > 0, 'no bars in the status chart');
    assert(/Hot-spot category/.test(r.legend), 'no chronic legend');
    return `chronic cells drawn: ${r.cells}; chart bars: ${r.chart}`;
  });
  await shot('sergeants');
  await page.locator('#s-overdue').screenshot({ path: join(artifacts, 'sergeants-overdue.png') });
  await page.locator('#s-report').screenshot({ path: join(artifacts, 'sergeants-report.png') });

  // Planners.
  await check('planners export link downloads', async () => {
    await page.click('nav a[data-view=planners]');
    await page.selectOption('#e-format', 'csv');
    await page.selectOption('#e-layer', 'district');
    await page.fill('#e-ids', env.STAFF_DISTRICT);
    const href = await page.getAttribute('#e-link', 'href');
    assert(href.startsWith('/v1/export/requests.csv?') && href.includes('district=' + env.STAFF_DISTRICT), `href ${href}`);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#e-link')]);
    const path = await dl.path();
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert(lines.length > 1, `the CSV has ${lines.length} lines`);
    return `${href} -> ${dl.suggestedFilename()} with ${lines.length - 1} rows`;
  });
  await shot('planners');

  await check('phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('nav a[data-view=residents]');
    await idle();
    const r = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, w: window.innerWidth, mapH: document.getElementById('map').clientHeight }));
    assert(r.sw <= r.w + 1, `horizontal overflow: ${r.sw} > ${r.w}`);
    assert(r.mapH > 200, `map height ${r.mapH}`);
    await shot('phone-residents');
    await page.evaluate(() => window.scrollTo(0, 600));
    await shot('phone-residents-panel');
    return `${r.w}px wide, map ${r.mapH}px high`;
  });

  await check('no console errors, no requests off the origin', async () => {
    const bad = problems.filter(p => !/Failed to load resource: the server responded with a status of 40[34]/.test(p));
    assert(offsite.length === 0, 'requests off the origin: ' + offsite.slice(0, 3).join(', '));
    assert(bad.length === 0, bad.slice(0, 5).join(' | '));
    return `${problems.length - bad.length} expected 4xx resource messages`;
  });
} finally {
  await browser.close();
}
console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
