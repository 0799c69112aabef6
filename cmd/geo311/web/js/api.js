// Small helpers for geo311's HTTP API and for building DOM safely (text
// only, never innerHTML with data).

// api fetches a same-origin path; it never throws for HTTP errors.
export async function api(path, { method = 'GET', form, json, headers = {} } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'omit' };
  if (form) {
    init.body = new URLSearchParams(form);
    init.headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    return { ok: false, status: 0, body: null, message: 'The server cannot be reached: ' + e.message };
  }
  let body = null;
  const text = await res.text();
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  return { ok: res.ok, status: res.status, body, message: res.ok ? '' : errorMessage(res.status, body) };
}

// errorMessage reads geo311's error bodies: {"error":{message}} or
// Open311's [{code, description}].
export function errorMessage(status, body) {
  if (Array.isArray(body) && body[0] && body[0].description) return body.map(e => e.description).join('; ');
  if (body && body.error && body.error.message) return body.error.message;
  if (typeof body === 'string' && body) return body.slice(0, 300);
  return `The server answered ${status}.`;
}

// h builds an element: h('p', {class: 'x'}, 'text', child...).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function fmtDate(s) {
  if (!s) return '—';
  const d = new Date(s);
  if (isNaN(d)) return String(s);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function fmtDay(s) {
  if (!s) return '—';
  const d = new Date(s);
  return isNaN(d) ? String(s) : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

const live = () => document.getElementById('live');
// announce puts a short message in the page's aria-live region.
export function announce(msg) {
  const el = live();
  el.textContent = '';
  // A new text node after clearing makes screen readers read it again.
  setTimeout(() => { el.textContent = msg; }, 30);
}

export function show(el, ...nodes) {
  el.replaceChildren(...nodes.flat().filter(Boolean));
}

export function errorBox(msg) {
  return h('p', { class: 'error', role: 'alert' }, msg);
}

export function isoDay(d) {
  const z = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}`;
}
