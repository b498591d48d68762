// Helpers shared by the storefront and the dashboard: API calls that never throw, the server's clock,
// formatting and a tiny DOM builder. Plain ES module, no dependencies.

/** Milliseconds to add to Date.now() to get the server's time (from the Date header of each answer). */
let clockOffsetMs = 0;
let clockSamples = 0;

export function now() {
  return Date.now() + clockOffsetMs;
}

function learnClock(res, sentAt) {
  const header = res.headers.get('date');
  if (!header) return;
  const server = Date.parse(header);
  if (Number.isNaN(server)) return;
  // The header has 1 s resolution: the server's clock was somewhere in [server, server + 1000).
  const local = (sentAt + Date.now()) / 2;
  const offset = server + 500 - local;
  // Only trust a difference larger than the header's resolution; average the first few samples.
  if (Math.abs(offset) < 1500 && clockSamples === 0) return;
  clockSamples = Math.min(clockSamples + 1, 8);
  clockOffsetMs += (offset - clockOffsetMs) / clockSamples;
}

/**
 * Calls the API (`body`, when given, is sent as JSON). Always resolves, to one of:
 *   { ok: true, status, data, headers }
 *   { ok: false, status, problem: {code,title,detail,status,...}, headers }   (an HTTP error)
 *   { ok: false, status: 0, networkError: true, problem: {code: 'network_error', ...} }
 */
export async function api(path, { method = 'GET', headers = {}, body, signal, timeoutMs = 15000 } = {}) {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (signal) signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const sentAt = Date.now();
  try {
    const res = await fetch(path, {
      method,
      headers: {
        accept: 'application/json, application/problem+json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: 'no-store',
      // Same-origin requests carry the session cookie (AUTH_MODE=session); nothing is sent to other origins.
      credentials: 'same-origin',
    });
    learnClock(res, sentAt);
    let data = null;
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (res.ok) return { ok: true, status: res.status, data, headers: res.headers };
    const problem =
      data && typeof data === 'object' && typeof data.code === 'string'
        ? data
        : { code: `http_${res.status}`, title: res.statusText || 'Error', detail: '', status: res.status };
    return { ok: false, status: res.status, problem, headers: res.headers };
  } catch (err) {
    const aborted = signal && signal.aborted;
    return {
      ok: false,
      status: 0,
      networkError: true,
      aborted,
      problem: { code: 'network_error', title: 'Network error', detail: String((err && err.message) || err), status: 0 },
    };
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener('abort', onAbort);
  }
}

const intFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1, minimumFractionDigits: 1 });

export function fmtInt(n) {
  return typeof n === 'number' && Number.isFinite(n) ? intFormat.format(n) : '–';
}
export function fmtRate(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  return n >= 100 ? intFormat.format(n) : decFormat.format(n);
}

/** 3725000 → "1:02:05", 65000 → "01:05"; days spelled out: "2 d 03:04:05". */
export function fmtCountdown(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (x) => String(x).padStart(2, '0');
  if (d > 0) return `${d} d ${pad(h)}:${pad(m)}:${pad(s)}`;
  if (h > 0) return `${h}:${pad(m)}:${pad(s)}`;
  return `${pad(m)}:${pad(s)}`;
}

/** A duration for people: "3 minutes", "1 hour 5 minutes", "45 seconds". */
export function fmtDurationWords(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (total < 60) return plural(total, 'second');
  const minutes = Math.round(total / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${plural(h, 'hour')} ${plural(m, 'minute')}` : plural(h, 'hour');
}

/** "450 ms", "3.2 s", "4 min" */
export function fmtAge(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3600000) return `${Math.round(ms / 60000)} min`;
  return `${(ms / 3600000).toFixed(1)} h`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const timeSecFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });

export function fmtTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : timeFormat.format(d);
}
export function fmtTimeSec(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : timeSecFormat.format(d);
}
/** Today: "14:00"; another day: "Tue 14:00". */
export function fmtWhen(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date(now());
  return d.toDateString() === today.toDateString() ? timeFormat.format(d) : dateTimeFormat.format(d);
}

/**
 * el('p', { class: 'x', text: 'hello' }, child, 'text', ...). Text always goes through text nodes, never
 * innerHTML, so names coming from the server are never interpreted as markup. `html` is only for the fixed
 * icon strings of this file.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'html') node.innerHTML = value;
    else if (key === 'class') node.className = value;
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const svg = (body) =>
  `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${body}</svg>`;

export const ICONS = {
  check: svg('<circle cx="12" cy="12" r="9"/><path d="m8 12.5 2.8 2.8L16.5 9.5"/>'),
  alert: svg('<path d="M12 3 2 20h20z"/><path d="M12 10v4.5M12 17.5h.01"/>'),
  error: svg('<circle cx="12" cy="12" r="9"/><path d="M15 9l-6 6M9 9l6 6"/>'),
  info: svg('<circle cx="12" cy="12" r="9"/><path d="M12 11v5.5M12 7.5h.01"/>'),
  pause: svg('<rect x="6" y="5" width="4" height="14" rx="1"/><rect x="14" y="5" width="4" height="14" rx="1"/>'),
  play: svg('<path d="M7 4.5v15l12-7.5z"/>'),
  wifiOff: svg(
    '<path d="M2 8.8a15 15 0 0 1 4.2-2.6M9.5 5.2A15 15 0 0 1 22 8.8M5 12.5a10 10 0 0 1 5-2.6M15.5 10.3a10 10 0 0 1 3.5 2.2M8.5 16a5 5 0 0 1 7 0M12 20h.01M3 3l18 18"/>',
  ),
  user: svg('<circle cx="12" cy="8" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/>'),
  cart: svg(
    '<path d="M3 4h2l2.4 11.2a2 2 0 0 0 2 1.6h7.7a2 2 0 0 0 2-1.5L21 8H6.2"/><circle cx="10" cy="20" r="1.3"/><circle cx="17" cy="20" r="1.3"/>',
  ),
  bolt: svg('<path d="M13 2 4 14h7l-1 8 9-12h-7z"/>'),
  clock: svg('<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>'),
  x: svg('<path d="M18 6 6 18M6 6l12 12"/>'),
  logout: svg('<path d="M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3M10 17l5-5-5-5M15 12H4"/>'),
};

/** A message block: kind is good | bad | warn | info. */
export function notice(kind, title, ...body) {
  const icon = { good: ICONS.check, bad: ICONS.error, warn: ICONS.alert, info: ICONS.info }[kind] || ICONS.info;
  const wrap = el('div', { class: `notice is-${kind}`, 'data-kind': kind });
  wrap.insertAdjacentHTML('afterbegin', icon);
  wrap.append(el('div', { class: 'notice-body' }, el('strong', { text: title }), ...body));
  return wrap;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or null. */
export function retryAfterSeconds(r) {
  const raw = r && r.headers && typeof r.headers.get === 'function' ? r.headers.get('retry-after') : null;
  if (!raw) return null;
  const n = Number(raw);
  if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** "Please slow down and try again in 12 seconds." for a 429 (rate_limited). */
export function slowDownText(r) {
  const s = retryAfterSeconds(r);
  const when = s ? `in ${s} ${s === 1 ? 'second' : 'seconds'}` : 'in a moment';
  return `Please slow down and try again ${when}.`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s, 4 s … capped. */
export function backoffMs(attempt, baseMs = 500, capMs = 10000) {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 10));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}
