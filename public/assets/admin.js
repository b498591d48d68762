// Operator dashboard (/admin): signs in with the admin token (kept in sessionStorage), then follows
// /admin/events — a Server-Sent Events stream read with fetch() so it can carry the Authorization header —
// reconnecting by itself with backoff. Pause and resume act on the open sale.
import { api, backoffMs, el, fmtAge, fmtCountdown, fmtInt, fmtRate, fmtTime, fmtTimeSec, fmtWhen, notice, now, sleep } from './common.js';

const TOKEN_KEY = 'flashsale.adminToken';
const HISTORY_MS = 60_000;
/** Stats arrive every second and keep-alives every 15 s: this long with no byte means the link is dead. */
const STALL_MS = 20_000;
/** No stats for this long (even with keep-alives): reconnect. */
const NO_STATS_MS = 6_000;

const $ = (id) => document.getElementById(id);
const ui = {
  conn: $('conn'),
  signOut: $('sign-out'),
  login: $('login'),
  loginForm: $('login-form'),
  token: $('token'),
  loginError: $('login-error'),
  loginSubmit: $('login-submit'),
  dashboard: $('dashboard'),
  updated: $('updated'),
  banner: $('conn-banner'),
  saleId: $('sale-id'),
  saleStatus: $('sale-status'),
  saleBody: $('sale-body'),
  saleEmpty: $('sale-empty'),
  countdownLabel: $('sale-countdown-label'),
  countdown: $('sale-countdown'),
  saleWindow: $('sale-window'),
  pause: $('pause'),
  resume: $('resume'),
  itemsSold: $('items-sold'),
  itemsRemaining: $('items-remaining'),
  saleCap: $('sale-cap'),
  saleLimit: $('sale-limit'),
  saleProgress: $('sale-progress'),
  saleProgressBar: $('sale-progress-bar'),
  saleProgressText: $('sale-progress-text'),
  actionResult: $('action-result'),
  healthRedis: $('health-redis'),
  healthPostgres: $('health-postgres'),
  healthWorker: $('health-worker'),
  nextSale: $('next-sale'),
  salesRate: $('sales-rate'),
  checkoutRate: $('checkout-rate'),
  salesPeak: $('sales-peak'),
  chart: $('rate-chart'),
  acked: $('acked'),
  written: $('written'),
  lag: $('lag'),
  lagPill: $('lag-pill'),
  writtenProgress: $('written-progress'),
  writtenBar: $('written-bar'),
  qWaiting: $('q-waiting'),
  qActive: $('q-active'),
  qDelayed: $('q-delayed'),
  qFailed: $('q-failed'),
  qCompleted: $('q-completed'),
  deadLetters: $('dead-letters'),
  deadPill: $('dead-pill'),
  outboxLength: $('outbox-length'),
  outboxAge: $('outbox-age'),
  outboxPill: $('outbox-pill'),
  rejections: $('rejections'),
  rejectionsTotal: $('rejections-total'),
  failures: $('purchase-failures'),
  failuresTotal: $('failures-total'),
};

const state = {
  token: readToken(),
  snapshot: null,
  receivedAt: 0,
  history: [],
  /** connecting | live | reconnecting | signed-out | unavailable */
  conn: 'signed-out',
  stream: null,
  streamGen: 0,
  busy: false,
};

function readToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || null;
  } catch {
    return null;
  }
}
function writeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* the token then lasts for this page only */
  }
}
const authHeaders = () => ({ authorization: `Bearer ${state.token}` });

// --- Connection state -------------------------------------------------------------------------------

const CONN = {
  'signed-out': ['Signed out', ''],
  connecting: ['Connecting…', 'is-info'],
  live: ['Live', 'is-good is-live'],
  reconnecting: ['Reconnecting…', 'is-warn'],
  unavailable: ['Admin API off', 'is-bad'],
};

function setConn(conn, detail) {
  state.conn = conn;
  const [text, cls] = CONN[conn];
  ui.conn.textContent = text;
  ui.conn.className = `pill ${cls}`;
  ui.conn.dataset.state = conn;
  ui.dashboard.classList.toggle('is-stale', conn === 'reconnecting');
  if (conn === 'reconnecting') {
    const since = state.snapshot ? ` Numbers shown are from ${fmtTimeSec(state.snapshot.at)}.` : '';
    const node = notice(
      'warn',
      'Connection to the server lost — reconnecting…',
      el('span', { text: `${detail || 'Retrying with backoff.'}${since}` }),
    );
    ui.banner.replaceChildren(node);
    ui.banner.hidden = false;
  } else {
    ui.banner.hidden = true;
    ui.banner.replaceChildren();
  }
}

// --- Sign-in -------------------------------------------------------------------------------------

function showLogin(message, kind = 'bad') {
  stopStream();
  state.snapshot = null;
  state.history = [];
  ui.dashboard.hidden = true;
  ui.login.hidden = false;
  ui.signOut.hidden = true;
  setConn('signed-out');
  ui.loginError.replaceChildren(...(message ? [notice(kind, message.title, el('span', { text: message.text }))] : []));
  ui.token.value = '';
  ui.token.focus();
}

function showDashboard() {
  ui.login.hidden = true;
  ui.dashboard.hidden = false;
  ui.signOut.hidden = false;
  ui.loginError.replaceChildren();
}

/** 401: the token is wrong or was changed on the server. 404: the server has no admin API. */
function handleAuthFailure(r) {
  if (r.status === 401) {
    writeToken(null);
    state.token = null;
    showLogin({ title: 'The admin token was refused.', text: 'Check the ADMIN_TOKEN the server runs with and sign in again.' });
    return true;
  }
  if (r.status === 404 && r.problem && r.problem.code !== 'sale_not_found') {
    writeToken(null);
    state.token = null;
    showLogin({
      title: 'The admin API is not enabled on this server.',
      text: 'Start the server with ADMIN_TOKEN set to use the dashboard.',
    });
    setConn('unavailable');
    return true;
  }
  return false;
}

async function signIn(token) {
  state.token = token;
  ui.loginSubmit.disabled = true;
  ui.loginSubmit.textContent = 'Signing in…';
  const r = await api('/admin/dashboard', { headers: authHeaders() });
  ui.loginSubmit.disabled = false;
  ui.loginSubmit.textContent = 'Sign in';
  if (r.ok) {
    writeToken(token);
    showDashboard();
    accept(r.data);
    startStream();
    return;
  }
  if (handleAuthFailure(r)) return;
  state.token = null;
  showLogin({
    title: r.networkError ? 'The server can’t be reached.' : `The server answered ${r.status}.`,
    text: r.networkError ? 'Check that it is running, then try again.' : r.problem.detail || r.problem.title,
  });
}

ui.loginForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = ui.token.value.trim();
  if (!token) {
    ui.loginError.replaceChildren(
      notice('bad', 'Enter the admin token.', el('span', { text: 'It is the ADMIN_TOKEN the server was started with.' })),
    );
    ui.token.setAttribute('aria-invalid', 'true');
    ui.token.focus();
    return;
  }
  ui.token.removeAttribute('aria-invalid');
  signIn(token);
});
ui.signOut.addEventListener('click', () => {
  writeToken(null);
  state.token = null;
  showLogin({ title: 'Signed out.', text: 'The token was forgotten by this tab.' }, 'info');
});

// --- The event stream -----------------------------------------------------------------------------

function stopStream() {
  state.streamGen++;
  if (state.stream) state.stream.abort();
  state.stream = null;
}

/** Reads /admin/events for as long as we are signed in, reconnecting with backoff when it drops. */
async function startStream() {
  stopStream();
  const gen = state.streamGen;
  let attempt = 0;
  setConn('connecting');
  while (gen === state.streamGen) {
    const controller = new AbortController();
    state.stream = controller;
    let outcome;
    try {
      outcome = await readStream(controller, gen);
    } catch (err) {
      outcome = { error: err };
    }
    if (gen !== state.streamGen) return;
    if (outcome && outcome.status === 401) return handleAuthFailure({ status: 401 });
    if (outcome && outcome.status === 404) return handleAuthFailure({ status: 404, problem: { code: 'not_found' } });
    if (outcome && outcome.gotStats) attempt = 0;
    const delay = backoffMs(attempt++, 500, 10000);
    setConn('reconnecting', `Next attempt in ${Math.max(1, Math.round(delay / 1000))} s.`);
    await sleep(delay);
  }
}

/** One connection: resolves when it ends, however it ends. */
async function readStream(controller, gen) {
  let lastByte = Date.now();
  let lastStats = Date.now();
  let gotStats = false;
  const watchdog = setInterval(() => {
    const t = Date.now();
    if (t - lastByte > STALL_MS || t - lastStats > NO_STATS_MS) controller.abort();
  }, 1000);
  try {
    const res = await fetch('/admin/events', {
      headers: { ...authHeaders(), accept: 'text/event-stream' },
      cache: 'no-store',
      signal: controller.signal,
    });
    if (!res.ok || !res.body) return { status: res.status };
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = sseParser((event) => {
      if (gen !== state.streamGen) return;
      if (event.type === 'stats') {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        lastStats = Date.now();
        gotStats = true;
        if (state.conn !== 'live') setConn('live');
        accept(data);
      }
    });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      lastByte = Date.now();
      parser(value);
    }
    return { status: res.status, gotStats, ended: true };
  } catch (error) {
    return { error, gotStats };
  } finally {
    clearInterval(watchdog);
  }
}

/**
 * A minimal Server-Sent Events parser (the WHATWG event-stream format): feed it text chunks, it calls
 * onEvent({type, data, id}) for each complete event. Comments (": keep-alive") and retry: are skipped.
 */
export function sseParser(onEvent) {
  let buffer = '';
  let type = '';
  let data = [];
  let id = '';
  return (chunk) => {
    buffer += chunk;
    let start = 0;
    for (;;) {
      const nl = buffer.slice(start).search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const lineEnd = start + nl;
      // A lone '\r' at the very end could be the first half of '\r\n': wait for more.
      if (buffer[lineEnd] === '\r' && lineEnd === buffer.length - 1) break;
      const line = buffer.slice(start, lineEnd);
      start = lineEnd + (buffer[lineEnd] === '\r' && buffer[lineEnd + 1] === '\n' ? 2 : 1);
      if (line === '') {
        if (data.length) onEvent({ type: type || 'message', data: data.join('\n'), id });
        type = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    buffer = buffer.slice(start);
  };
}

// --- Rendering -----------------------------------------------------------------------------------

function accept(snapshot) {
  if (!snapshot || typeof snapshot !== 'object') return;
  state.snapshot = snapshot;
  state.receivedAt = Date.now();
  const t = Date.parse(snapshot.at) || now();
  const last = state.history[state.history.length - 1];
  // No point while the checkout figures are unknown: a gap in the chart, not a drop to zero.
  if ((!last || t > last.t) && !unknownIn(snapshot, 'stats'))
    state.history.push({ t, sales: num(snapshot.salesPerSecond), checkouts: num(snapshot.checkoutsPerSecond) });
  const cutoff = t - HISTORY_MS - 2000;
  while (state.history.length && state.history[0].t < cutoff) state.history.shift();
  render();
}

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

const SALE_STATUS = {
  active: ['Running', 'is-good is-live'],
  paused: ['Paused', 'is-warn'],
  sold_out: ['Sold out', 'is-info'],
  ended: ['Ended', ''],
  scheduled: ['Scheduled', 'is-info'],
};

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
function setPill(node, text, cls) {
  setText(node, text);
  const className = `pill ${cls || ''}`.trim();
  if (node.className !== className) node.className = className;
}

function render() {
  const s = state.snapshot;
  if (!s) return;
  setText(ui.updated, `Updated ${fmtTimeSec(s.at)} · every second from the server`);
  renderSale(s);
  renderHealth(s.health || {});
  renderRates(s);
  renderOrders(s);
  renderQueue(s);
  renderLine(s.line);
  // Figures that could not be read are not "nothing refused".
  const statsUnknown = unknownIn(s, 'stats');
  renderBars(
    ui.rejections,
    ui.rejectionsTotal,
    statsUnknown ? {} : s.rejections,
    statsUnknown ? 'Unknown for now.' : 'No checkout refused yet.',
  );
  renderBars(
    ui.failures,
    ui.failuresTotal,
    statsUnknown ? {} : s.purchaseFailures,
    statsUnknown ? 'Unknown for now.' : 'Every item asked for at purchase was bought.',
  );
  drawChart();
}

/** The waiting line of the open (or next) sale; the tile stays hidden while the waiting room is off. */
function renderLine(line) {
  const tile = document.getElementById('line-tile');
  tile.hidden = !line;
  if (!line) return;
  setText(document.getElementById('line-waiting'), fmtInt(line.waiting));
  setText(document.getElementById('line-admitted'), fmtInt(line.admitted));
  const pill = document.getElementById('line-pill');
  if (line.closed) setPill(pill, line.closed === 'sold_out' ? 'Closed: sold out' : 'Closed', 'is-bad');
  else setPill(pill, 'Open', 'is-good');
  const wait = line.medianWaitSeconds == null ? '–' : `${line.medianWaitSeconds} s`;
  setText(
    document.getElementById('line-meta'),
    `Sale #${line.saleId} · ${fmtInt(line.ratePerSecond)} admitted a second · ${fmtInt(line.admittedTotal)} admitted in all · median wait ${wait}`,
  );
}

function renderSale(s) {
  const sale = s.sale;
  ui.saleBody.hidden = !sale;
  ui.saleEmpty.hidden = !!sale;
  if (!sale) {
    setText(ui.saleId, '');
    setPill(ui.saleStatus, 'None open', '');
    if (s.saleUnavailable) setPill(ui.saleStatus, 'Unavailable', 'is-bad');
    setText(
      ui.saleEmpty,
      s.saleUnavailable
        ? "The sale's live figures cannot be read right now (see Health)."
        : s.nextSale
          ? `No sale is open right now. Sale #${s.nextSale.id} starts ${fmtWhen(s.nextSale.startsAt)}.`
          : 'No sale is open and none is scheduled.',
    );
    ui.pause.disabled = true;
    ui.resume.disabled = true;
    tick();
    return;
  }
  ui.saleBody.dataset.saleId = String(sale.id);
  setText(ui.saleId, `#${sale.id}`);
  const [label, cls] = SALE_STATUS[sale.status] || [sale.status, ''];
  setPill(ui.saleStatus, label, cls);
  ui.saleStatus.dataset.status = sale.status;
  setText(ui.saleWindow, `${fmtTime(sale.startsAt)} – ${fmtTime(sale.endsAt)}`);
  const cap = Math.min(num(sale.saleCap), num(sale.itemsTotal));
  setText(ui.itemsSold, fmtInt(sale.itemsSold));
  setText(ui.itemsRemaining, fmtInt(typeof s.itemsRemaining === 'number' ? s.itemsRemaining : Math.max(0, cap - sale.itemsSold)));
  setText(ui.saleCap, fmtInt(sale.saleCap));
  setText(ui.saleLimit, fmtInt(sale.perUserLimit));
  const pct = cap > 0 ? Math.min(100, (sale.itemsSold / cap) * 100) : 0;
  ui.saleProgressBar.style.width = `${pct}%`;
  ui.saleProgress.setAttribute('aria-valuenow', String(Math.round(pct)));
  setText(ui.saleProgressText, `${pct >= 10 || Number.isInteger(pct) ? Math.round(pct) : pct.toFixed(1)}%`);
  if (!state.busy) {
    ui.pause.disabled = sale.status !== 'active';
    ui.resume.disabled = sale.status !== 'paused';
  }
  tick();
}

function tick() {
  const s = state.snapshot;
  if (!s) return;
  const sale = s.sale;
  if (sale) {
    const left = Date.parse(sale.endsAt) - now();
    setText(ui.countdownLabel, left > 0 ? 'Ends in' : 'Ended');
    setText(ui.countdown, fmtCountdown(left));
  }
  const next = s.nextSale;
  if (next) {
    const left = Date.parse(next.startsAt) - now();
    setText(ui.nextSale, `#${next.id} · ${fmtWhen(next.startsAt)} · in ${fmtCountdown(left)} · ${fmtInt(next.itemsTotal)} items`);
  } else {
    setText(ui.nextSale, 'None scheduled yet');
  }
  if (state.conn === 'live' && state.receivedAt && Date.now() - state.receivedAt > 3500) {
    setText(ui.updated, `Last update ${fmtTimeSec(s.at)} · waiting for the server…`);
  }
}

function renderHealth(h) {
  const show = (node, value) => {
    if (value === 'up') setPill(node, 'Up', 'is-good');
    else if (value === 'down') setPill(node, 'Down', 'is-bad');
    else if (value === 'off') setPill(node, 'Off', '');
    else setPill(node, 'Unknown', '');
    node.dataset.health = value || 'unknown';
  };
  show(ui.healthRedis, h.redis);
  show(ui.healthPostgres, h.postgres);
  show(ui.healthWorker, h.worker);
}

function renderRates(s) {
  setText(ui.salesRate, fmtRate(num(s.salesPerSecond)));
  setText(ui.checkoutRate, unknownIn(s, 'stats') ? '–' : fmtRate(num(s.checkoutsPerSecond)));
  const peak = state.history.reduce((m, p) => Math.max(m, p.sales), 0);
  setText(ui.salesPeak, fmtRate(peak));
  ui.chart.setAttribute(
    'aria-label',
    `Sales per second over the last minute: now ${fmtRate(num(s.salesPerSecond))}, peak ${fmtRate(peak)}.`,
  );
}

/** Whether the snapshot could not read this figure in time (shown as "–", never as a reassuring zero). */
const unknownIn = (s, figure) => Array.isArray(s.unknown) && s.unknown.includes(figure);

function renderOrders(s) {
  if (unknownIn(s, 'orders') || unknownIn(s, 'stats')) {
    if (unknownIn(s, 'stats')) setText(ui.acked, '–');
    else setText(ui.acked, fmtInt(num(s.purchasesAcknowledged)));
    setText(ui.written, unknownIn(s, 'orders') ? '–' : fmtInt(num(s.ordersWritten)));
    setText(ui.lag, 'unknown');
    setPill(ui.lagPill, 'Unknown', 'is-warn');
    return;
  }
  const acked = num(s.purchasesAcknowledged);
  const written = num(s.ordersWritten);
  const lag = Math.max(0, acked - written);
  setText(ui.acked, fmtInt(acked));
  setText(ui.written, fmtInt(written));
  setText(ui.lag, lag ? `${fmtInt(lag)} behind` : 'in sync');
  if (lag === 0) setPill(ui.lagPill, 'In sync', 'is-good');
  else setPill(ui.lagPill, `Lag ${fmtInt(lag)}`, lag > 1000 ? 'is-bad' : 'is-warn');
  ui.lagPill.dataset.lag = String(lag);
  const pct = acked > 0 ? Math.min(100, (written / acked) * 100) : 100;
  ui.writtenBar.style.width = `${pct}%`;
  ui.writtenProgress.setAttribute('aria-valuenow', String(Math.round(pct)));
}

function renderQueue(s) {
  const q = s.queue || {};
  if (unknownIn(s, 'queue')) {
    for (const node of [ui.qWaiting, ui.qActive, ui.qDelayed, ui.qFailed, ui.qCompleted, ui.deadLetters]) setText(node, '–');
    ui.deadLetters.parentElement.dataset.alert = 'false';
    setPill(ui.deadPill, 'Unknown', 'is-warn');
  } else renderQueueCounts(s, q);
  renderOutbox(s);
}

function renderQueueCounts(s, q) {
  setText(ui.qWaiting, fmtInt(num(q.waiting)));
  setText(ui.qActive, fmtInt(num(q.active)));
  setText(ui.qDelayed, fmtInt(num(q.delayed)));
  setText(ui.qFailed, fmtInt(num(q.failed)));
  setText(ui.qCompleted, fmtInt(num(q.completed)));
  const dead = num(s.deadLetters);
  setText(ui.deadLetters, fmtInt(dead));
  ui.deadLetters.parentElement.dataset.alert = String(dead > 0);
  if (dead > 0) setPill(ui.deadPill, `${fmtInt(dead)} dead ${dead === 1 ? 'letter' : 'letters'}`, 'is-bad');
  else setPill(ui.deadPill, `${fmtInt(num(q.waiting) + num(q.active) + num(q.delayed))} in flight`, 'is-good');
}

function renderOutbox(s) {
  if (unknownIn(s, 'outbox')) {
    setText(ui.outboxLength, '–');
    setText(ui.outboxAge, '–');
    return setPill(ui.outboxPill, 'Unknown', 'is-warn');
  }
  const outbox = s.outbox || {};
  const len = num(outbox.length);
  setText(ui.outboxLength, fmtInt(len));
  setText(ui.outboxAge, outbox.oldestAgeMs == null ? '–' : fmtAge(outbox.oldestAgeMs));
  const age = num(outbox.oldestAgeMs);
  if (!len) setPill(ui.outboxPill, 'Empty', 'is-good');
  else if (age > 30000) setPill(ui.outboxPill, 'Stuck?', 'is-bad');
  else if (age > 5000) setPill(ui.outboxPill, 'Slow', 'is-warn');
  else setPill(ui.outboxPill, 'Flowing', 'is-info');
}

const REASON_WORDS = {
  item_sold_out: 'Item sold out',
  user_limit_reached: 'User limit reached',
  sale_sold_out: 'Sale sold out',
  sale_paused: 'Sale paused',
  sale_not_started: 'Sale not started',
  no_active_sale: 'No active sale',
  sale_ended: 'Sale ended',
  item_not_found: 'Item not found',
  invalid_request: 'Invalid request',
  checkout_not_found: 'Checkout not found',
};
const words = (reason) =>
  REASON_WORDS[reason] ||
  String(reason)
    .replace(/_/g, ' ')
    .replace(/^./, (c) => c.toUpperCase());

function renderBars(list, totalNode, counts, emptyText) {
  const entries = Object.entries(counts || {})
    .filter(([, v]) => typeof v === 'number' && v > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((sum, [, v]) => sum + v, 0);
  setText(totalNode, total ? `${fmtInt(total)} in total` : '');
  if (!entries.length) {
    const empty = list.querySelector('.bars-empty');
    if (!empty || empty.textContent !== emptyText) list.replaceChildren(el('li', { class: 'bars-empty', text: emptyText }));
    return;
  }
  const max = entries[0][1];
  list.replaceChildren(
    ...entries.map(([reason, count]) => {
      const fill = el('span', { class: 'bar-fill' });
      fill.style.width = `${Math.max(2, (count / max) * 100)}%`;
      return el(
        'li',
        { 'data-reason': reason, title: `${words(reason)}: ${fmtInt(count)}` },
        el('span', { class: 'bar-label', text: words(reason) }),
        el('span', { class: 'bar-track', 'aria-hidden': 'true' }, fill),
        el('span', { class: 'bar-value', text: fmtInt(count) }),
      );
    }),
  );
}

// --- The chart -------------------------------------------------------------------------------------

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The top of the chart: four equal steps of 1, 2 or 5 × 10^n, just above v. */
function niceMax(v) {
  const raw = Math.max(v, 0.4) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p * 4;
  return 40 * p;
}

function drawChart() {
  const canvas = ui.chart;
  const rect = canvas.getBoundingClientRect();
  if (!rect.width || !rect.height) return;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(rect.width * dpr);
  const h = Math.round(rect.height * dpr);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const W = rect.width;
  const H = rect.height;
  ctx.clearRect(0, 0, W, H);
  const pad = { l: 40, r: 10, t: 10, b: 22 };
  const gw = W - pad.l - pad.r;
  const gh = H - pad.t - pad.b;
  const end = state.history.length ? state.history[state.history.length - 1].t : now();
  const start = end - HISTORY_MS;
  const points = state.history.filter((p) => p.t >= start);
  const max = niceMax(points.reduce((m, p) => Math.max(m, p.sales, p.checkouts), 0) * 1.1);
  const x = (t) => pad.l + ((t - start) / HISTORY_MS) * gw;
  const y = (v) => pad.t + gh - (v / max) * gh;

  const grid = cssVar('--border');
  const muted = cssVar('--faint') || cssVar('--muted');
  ctx.font = `11px ${cssVar('--font') || 'system-ui'}`;
  ctx.lineWidth = 1;
  ctx.strokeStyle = grid;
  ctx.fillStyle = muted;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    const yy = Math.round(y(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(pad.l, yy);
    ctx.lineTo(W - pad.r, yy);
    ctx.stroke();
    ctx.fillText(Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2))), pad.l - 6, yy);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const s of [60, 45, 30, 15, 0]) ctx.fillText(s ? `-${s}s` : 'now', Math.min(W - pad.r - 12, x(end - s * 1000)), H - pad.b + 6);

  const series = (key, color, fill) => {
    if (!points.length) return;
    ctx.beginPath();
    let prev = null;
    const segments = [];
    let current = [];
    for (const p of points) {
      // A gap of more than 3 s (a reconnect) breaks the line.
      if (prev && p.t - prev.t > 3000) {
        segments.push(current);
        current = [];
      }
      current.push(p);
      prev = p;
    }
    segments.push(current);
    for (const seg of segments) {
      if (fill && seg.length > 1) {
        const grad = ctx.createLinearGradient(0, pad.t, 0, pad.t + gh);
        grad.addColorStop(0, withAlpha(color, 0.28));
        grad.addColorStop(1, withAlpha(color, 0));
        ctx.beginPath();
        ctx.moveTo(x(seg[0].t), y(0));
        for (const p of seg) ctx.lineTo(x(p.t), y(p[key]));
        ctx.lineTo(x(seg[seg.length - 1].t), y(0));
        ctx.closePath();
        ctx.fillStyle = grad;
        ctx.fill();
      }
      ctx.beginPath();
      seg.forEach((p, i) => (i ? ctx.lineTo(x(p.t), y(p[key])) : ctx.moveTo(x(p.t), y(p[key]))));
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.lineJoin = 'round';
      ctx.stroke();
    }
    const lastPoint = points[points.length - 1];
    ctx.beginPath();
    ctx.arc(x(lastPoint.t), y(lastPoint[key]), 3.5, 0, Math.PI * 2);
    ctx.fillStyle = color;
    ctx.fill();
  };
  series('checkouts', cssVar('--primary'), false);
  series('sales', cssVar('--brand-1'), true);
}

/** '#rrggbb' or 'rgb(...)' with an alpha. */
function withAlpha(color, alpha) {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (hex) {
    const n = parseInt(hex[1], 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  return color;
}

// --- Pause and resume ------------------------------------------------------------------------------

async function saleAction(action) {
  const sale = state.snapshot && state.snapshot.sale;
  if (!sale || state.busy) return;
  state.busy = true;
  const button = action === 'pause' ? ui.pause : ui.resume;
  ui.pause.disabled = true;
  ui.resume.disabled = true;
  button.setAttribute('aria-busy', 'true');
  ui.actionResult.replaceChildren();
  const r = await api(`/admin/sales/${sale.id}/${action}`, { method: 'POST', headers: authHeaders() });
  state.busy = false;
  button.removeAttribute('aria-busy');
  const at = fmtTimeSec(new Date(now()).toISOString());
  if (r.ok) {
    if (state.snapshot && state.snapshot.sale && state.snapshot.sale.id === r.data.id)
      state.snapshot.sale = { ...state.snapshot.sale, ...r.data };
    const paused = r.data.status === 'paused';
    const node = notice(
      'good',
      paused
        ? `Sale #${r.data.id} is paused.`
        : `Sale #${r.data.id} is ${r.data.status === 'active' ? 'running again' : r.data.status.replace('_', ' ')}.`,
      el('span', {
        text: paused ? `Buyers can’t check out or buy until you resume it. (${at})` : `Buyers can check out and buy again. (${at})`,
      }),
    );
    node.dataset.result = r.data.status;
    ui.actionResult.replaceChildren(node);
  } else if (!handleAuthFailure(r)) {
    const node = notice(
      'bad',
      `Could not ${action} sale #${sale.id}.`,
      el('span', { text: r.networkError ? 'The server can’t be reached; try again.' : r.problem.detail || r.problem.title }),
    );
    node.dataset.result = 'error';
    ui.actionResult.replaceChildren(node);
  }
  render();
}

ui.pause.addEventListener('click', () => saleAction('pause'));
ui.resume.addEventListener('click', () => saleAction('resume'));

// --- Start ---------------------------------------------------------------------------------------

setInterval(tick, 1000);
document.addEventListener('themechange', drawChart);
window.addEventListener('resize', () => requestAnimationFrame(drawChart));

if (state.token) {
  ui.login.hidden = true;
  signIn(state.token);
} else {
  showLogin(null);
}
