// Storefront (/): the open sale with a countdown, its items (paged, live sold-out marks from the sale's
// event stream), the buyer's checkout and purchase, with a clear message for every outcome. Who the buyer
// is (a user name, an account with a mailed code, or an identity provider's token) is account.js's part.
import { createAccount } from './account.js';
import { ICONS, api, backoffMs, el, fmtCountdown, fmtInt, fmtTime, fmtWhen, notice, now, sleep, slowDownText } from './common.js';

const CHECKOUT_KEY = (user) => `flashsale.checkout.${user}`;
const PAGE_SIZE = 100;
const RESYNC_PAGE = 1000;
const OPEN_STATUSES = ['active', 'paused', 'sold_out'];

const $ = (id) => document.getElementById(id);
const ui = {
  saleCard: $('sale-card'),
  status: $('sale-status'),
  live: $('live-state'),
  countdownLabel: $('countdown-label'),
  countdown: $('countdown'),
  progress: $('progress'),
  progressBar: $('progress-bar'),
  progressText: $('progress-text'),
  saleProgress: $('sale-progress'),
  facts: $('sale-facts'),
  saleMessage: $('sale-message'),
  grid: $('grid'),
  gridState: $('grid-state'),
  itemsHeading: $('items-heading'),
  itemsSub: $('items-sub'),
  itemsCount: $('items-count'),
  loadMore: $('load-more'),
  hideSold: $('hide-sold'),
  checkout: $('checkout'),
  checkoutCount: $('checkout-count'),
  who: $('who'),
  checkoutList: $('checkout-list'),
  checkoutEmpty: $('checkout-empty'),
  checkoutMeta: $('checkout-meta'),
  buy: $('buy'),
  feedback: $('feedback'),
  mobileCart: $('mobile-cart'),
  mobileCartText: $('mobile-cart-text'),
  toasts: $('toasts'),
};

const state = {
  /** loading | open (the sale's window is open) | waiting (next sale known) | closed | none | error */
  mode: 'loading',
  /** The sale on screen: the open one, or the next one while waiting. */
  sale: null,
  /** Units left, from the event stream (more exact than itemsTotal - itemsSold when units per item > 1). */
  remaining: null,
  /** When nothing is open: the next sale (or, when only Retry-After is known, just its start time). */
  next: null,
  waitUntil: null,
  items: new Map(),
  order: [],
  nextCursor: null,
  itemsDone: false,
  loadingItems: false,
  checkout: null,
  adding: new Set(),
  buying: false,
  events: null,
  eventsAttempt: 0,
  live: 'connecting',
  refreshGen: 0,
  lastRefreshAt: 0,
  loadErrors: 0,
};

// --- Names and looks -----------------------------------------------------------------------------------

const PALETTE = {
  Midnight: ['#1e1b4b', '#4f46e5'],
  Aurora: ['#059669', '#7c3aed'],
  Granite: ['#44403c', '#8a817c'],
  Copper: ['#9a3412', '#ea580c'],
  Velvet: ['#831843', '#db2777'],
  Nordic: ['#0c4a6e', '#0ea5e9'],
  Solar: ['#ea580c', '#facc15'],
  Arctic: ['#0e7490', '#22d3ee'],
  Crimson: ['#7f1d1d', '#dc2626'],
  Ivory: ['#78716c', '#d6c7a1'],
  Cobalt: ['#1e3a8a', '#2563eb'],
  Amber: ['#92400e', '#f59e0b'],
  Jade: ['#065f46', '#10b981'],
  Onyx: ['#030712', '#4b5563'],
  Saffron: ['#c2410c', '#fb923c'],
  Coral: ['#be123c', '#fb7185'],
  Slate: ['#1e293b', '#64748b'],
  Olive: ['#3f6212', '#84cc16'],
  Pearl: ['#475569', '#cbd5e1'],
  Indigo: ['#312e81', '#6366f1'],
};

const svgIcon = (body) =>
  `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${body}</svg>`;
const PRODUCT_ICONS = [
  [
    'Headphones',
    '<path d="M4 15v-3a8 8 0 0 1 16 0v3"/><rect x="3" y="14" width="4.5" height="7" rx="1.5"/><rect x="16.5" y="14" width="4.5" height="7" rx="1.5"/>',
  ],
  [
    'Espresso',
    '<path d="M5 8h11v5a5 5 0 0 1-5 5h-1a5 5 0 0 1-5-5z"/><path d="M16 9.5h1.5a2.5 2.5 0 0 1 0 5H16"/><path d="M4 21h14M9 2.5c-.8 1 .8 2 0 3M12.5 2.5c-.8 1 .8 2 0 3"/>',
  ],
  [
    'Teapot',
    '<path d="M6 10h10v5a5 5 0 0 1-5 5 5 5 0 0 1-5-5z"/><path d="M16 11.5 20 9l-1 5-3 1.5M6 12H4.5a2 2 0 0 0 0 4H6M9 10V8.5a2 2 0 0 1 4 0V10"/>',
  ],
  ['Backpack', '<rect x="5" y="7" width="14" height="14" rx="3"/><path d="M9 7V5a3 3 0 0 1 6 0v2M9 14h6v4H9z"/>'],
  ['Lamp', '<path d="M8 3h8l3 7H5z"/><path d="M12 10v9M8 21h8"/>'],
  ['Sneakers', '<path d="M3 17v-6.5l4.5-1 3 3 5 1.2 5 2.3V17z"/><path d="M3 17v2h18v-2M9 13l1.2-1.2M11.5 13.8l1-1.1"/>'],
  ['Watch', '<circle cx="12" cy="12" r="5"/><path d="M9 7.5 10 3h4l1 4.5M9 16.5 10 21h4l1-4.5M12 10v2l1.5 1"/>'],
  ['Blender', '<path d="M7 3h10l-1.5 11h-7z"/><rect x="7" y="14" width="10" height="7" rx="1.5"/><path d="M12 17.5h.01M9 7h6"/>'],
  ['Jacket', '<path d="M9 3 5 5 3 11l2 1v9h14v-9l2-1-2-6-4-2-3 3z"/><path d="M12 6v15"/>'],
  ['Keyboard', '<rect x="2" y="6" width="20" height="12" rx="2"/><path d="M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10"/>'],
  ['Bottle', '<path d="M10 2h4v3l1.5 2.5V20a2 2 0 0 1-2 2h-3a2 2 0 0 1-2-2V7.5L10 5z"/><path d="M8.5 11h7"/>'],
  ['Sunglasses', '<circle cx="7" cy="14" r="3.5"/><circle cx="17" cy="14" r="3.5"/><path d="M10.5 14h3M3.5 13 5 7M20.5 13 19 7"/>'],
  ['Speaker', '<rect x="6" y="3" width="12" height="18" rx="2"/><circle cx="12" cy="14" r="3"/><path d="M12 7.5h.01"/>'],
  ['Knife', '<path d="M3 21 16 8l2 2L7 21z"/><path d="m16 8 3.5-3.5a1.5 1.5 0 0 1 2 2L18 10"/>'],
  ['Yoga', '<rect x="3" y="5" width="18" height="10" rx="5"/><path d="M8 15v4h8v-4"/>'],
  ['Camera', '<rect x="3" y="7" width="18" height="13" rx="2"/><path d="M8 7l1.5-3h5L16 7"/><circle cx="12" cy="13.5" r="3.5"/>'],
  ['Scarf', '<path d="M6 3h12v6c0 2-2 3-4 3v9h-4v-9c-2 0-4-1-4-3z"/><path d="M10 17h4"/>'],
  ['Phone', '<rect x="7" y="2" width="10" height="20" rx="2"/><path d="M11 18h2"/>'],
  ['Notebook', '<rect x="5" y="3" width="14" height="18" rx="2"/><path d="M9 3v18M12 8h4M12 12h4"/>'],
  ['Pan', '<circle cx="9" cy="13" r="6"/><path d="M15 13h7"/>'],
  ['Chair', '<path d="M7 3h10v8H7zM5 11h14v3H5zM7 14v7M17 14v7"/>'],
  [
    'Drone',
    '<circle cx="5" cy="5" r="2.5"/><circle cx="19" cy="5" r="2.5"/><circle cx="5" cy="19" r="2.5"/><circle cx="19" cy="19" r="2.5"/><rect x="9" y="9" width="6" height="6" rx="1"/><path d="m7 7 2 2M17 7l-2 2M7 17l2-2M17 17l-2-2"/>',
  ],
  ['Tent', '<path d="M12 3 2 21h20z"/><path d="m12 12-3.5 9M12 12l3.5 9"/>'],
  [
    'Guitar',
    '<path d="m14 10 6-6M18 2l4 4"/><path d="M13.5 10.5a4 4 0 0 0-5.2.6c-1.2 1.2-.7 2.4-2.3 3.2-2 1-3 2.4-1.6 4.8 1 1.6 2.9 2.4 4.4 1.4 1.7-1.2 1.5-2.6 3-3.6 1.3-.9 2.4-1.4 2.4-2.9a3.9 3.9 0 0 0-.7-3.5z"/><circle cx="10" cy="15" r="1.2"/>',
  ],
];
const DEFAULT_ICON = '<path d="M3 7l9-4 9 4v10l-9 4-9-4z"/><path d="M3 7l9 4 9-4M12 11v10"/>';

function hashHue(text) {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h % 360;
}

function lookOf(name) {
  const adjective = String(name).split(' ')[0];
  const colors = PALETTE[adjective];
  const hue = hashHue(String(name));
  const [c1, c2] = colors || [`hsl(${hue} 55% 32%)`, `hsl(${(hue + 40) % 360} 70% 55%)`];
  const match = PRODUCT_ICONS.find(([word]) => String(name).includes(word));
  return { c1, c2, icon: svgIcon(match ? match[1] : DEFAULT_ICON) };
}

/** "Aurora Backpack #42" → { title: "Aurora Backpack", no: "42" } */
function splitName(name) {
  const m = /^(.*?)\s*#(\d+)$/.exec(String(name));
  return m ? { title: m[1], no: m[2] } : { title: String(name), no: null };
}

function itemName(id) {
  const entry = state.items.get(id);
  if (entry) return entry.item.name;
  const stored = state.checkout && state.checkout.names && state.checkout.names[id];
  return stored || `Item ${id}`;
}

// --- Storage ---------------------------------------------------------------------------------------------

function readCheckout(user, saleId) {
  if (!user || !saleId) return null;
  try {
    const raw = JSON.parse(localStorage.getItem(CHECKOUT_KEY(user)) || 'null');
    if (!raw || raw.saleId !== saleId || !Array.isArray(raw.items)) return null;
    if (raw.expiresAt && Date.parse(raw.expiresAt) <= now()) return null;
    return raw;
  } catch {
    return null;
  }
}
function writeCheckout() {
  const user = account.user();
  if (!user) return;
  try {
    if (state.checkout) localStorage.setItem(CHECKOUT_KEY(user), JSON.stringify(state.checkout));
    else localStorage.removeItem(CHECKOUT_KEY(user));
  } catch {
    /* ignore */
  }
}
function forgetCheckout(user) {
  try {
    localStorage.removeItem(CHECKOUT_KEY(user));
  } catch {
    /* ignore */
  }
}

// --- Words for outcomes ---------------------------------------------------------------------------------

function limitWords() {
  const n = state.sale ? state.sale.perUserLimit : null;
  if (!n) return 'your per-person limit for this sale';
  return `the limit of ${n} ${n === 1 ? 'item' : 'items'} per person`;
}

/** Why one item of a purchase was not bought, as a phrase. */
function reasonWords(reason) {
  switch (reason) {
    case 'item_sold_out':
      return 'someone else bought it first';
    case 'user_limit_reached':
      return `it would take you over ${limitWords()}`;
    case 'sale_sold_out':
      return 'the sale sold out before it could be bought';
    case 'sale_ended':
      return 'the sale had ended';
    case 'sale_paused':
      return 'the sale was paused';
    case 'item_not_found':
      return 'it is no longer part of this sale';
    default:
      return String(reason || 'unknown reason').replace(/_/g, ' ');
  }
}

function networkProblemText(r) {
  if (r.networkError) return 'We couldn’t reach the shop. Check your connection and try again.';
  if (r.status === 503) return 'The shop is very busy or briefly unavailable. Please try again in a moment.';
  if (r.status === 429) return `Too many requests right now. ${slowDownText(r)}`;
  return null;
}

// --- Toasts and feedback ------------------------------------------------------------------------------

function toast(kind, title, text, { timeoutMs, key } = {}) {
  // A toast with a key replaces the previous one with the same key (e.g. one "Added" at a time).
  if (key) ui.toasts.querySelectorAll(`[data-key="${key}"]`).forEach((n) => n.remove());
  const body = text ? [el('span', { text })] : [];
  const node = notice(kind, title, ...body);
  node.classList.add('toast');
  if (key) node.dataset.key = key;
  const close = el('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss message', html: ICONS.x });
  close.addEventListener('click', () => node.remove());
  node.append(close);
  ui.toasts.append(node);
  while (ui.toasts.children.length > 3) ui.toasts.firstElementChild.remove();
  const ttl = timeoutMs ?? (kind === 'good' ? 5000 : 10000);
  setTimeout(() => node.remove(), ttl);
  return node;
}

function feedback(node) {
  ui.feedback.replaceChildren(...(node ? [node] : []));
}

// --- The sale card ---------------------------------------------------------------------------------------

const STATUS_PILL = {
  active: ['Live now', 'is-good is-live'],
  paused: ['Paused', 'is-warn'],
  sold_out: ['Sold out', 'is-bad'],
  ended: ['Ended', ''],
  scheduled: ['Starts soon', 'is-info'],
};

function capacity(sale) {
  return Math.max(0, Math.min(sale.saleCap, sale.itemsTotal));
}

function renderSale() {
  const sale = state.sale;
  const mode = state.mode;
  let pill = ['Loading…', ''];
  if (mode === 'none') pill = ['No sale scheduled', ''];
  else if (mode === 'error') pill = ['Can’t reach the shop', 'is-bad'];
  else if (mode === 'waiting' && !sale) pill = STATUS_PILL.scheduled;
  else if (sale) pill = STATUS_PILL[sale.status] || [sale.status, ''];
  ui.status.textContent = pill[0];
  ui.status.className = `pill ${pill[1]}`;
  ui.saleCard.dataset.mode = sale && sale.status === 'paused' ? 'paused' : mode;
  ui.saleCard.dataset.status = sale ? sale.status : '';
  if (sale) ui.saleCard.dataset.saleId = String(sale.id);

  // Progress
  if (sale && mode === 'open') {
    const cap = capacity(sale);
    const sold = sale.itemsSold;
    const left = state.remaining ?? Math.max(0, cap - sold);
    const pct = cap > 0 ? Math.min(100, Math.round((sold / cap) * 1000) / 10) : 0;
    ui.saleProgress.hidden = false;
    ui.progressBar.style.width = `${pct}%`;
    ui.progress.setAttribute('aria-valuenow', String(Math.round(pct)));
    ui.progress.setAttribute('aria-valuetext', `${fmtInt(sold)} sold, ${fmtInt(left)} left`);
    ui.progressText.replaceChildren(el('b', { text: fmtInt(sold) }), ` sold · `, el('b', { text: fmtInt(left) }), ` left`);
  } else {
    ui.saleProgress.hidden = true;
  }

  // Facts
  const facts = [];
  if (sale) {
    facts.push([el('b', { text: fmtInt(sale.itemsTotal) }), ' items']);
    facts.push(['Up to ', el('b', { text: fmtInt(sale.perUserLimit) }), ' per person']);
    if (mode === 'open') facts.push(['Ends ', el('b', { text: fmtWhen(sale.endsAt) })]);
    if (mode === 'waiting') facts.push(['Opens ', el('b', { text: fmtWhen(sale.startsAt) })]);
  }
  ui.facts.replaceChildren(...facts.map((parts) => el('li', {}, ...parts)));

  // Message under the card
  let message = null;
  if (mode === 'open' && sale.status === 'paused') {
    message = notice(
      'warn',
      'The sale is paused for a moment.',
      el('span', { text: 'Buying resumes as soon as it’s back — keep this page open, it updates by itself.' }),
    );
  } else if (mode === 'open' && sale.status === 'sold_out') {
    message = notice(
      'info',
      'Every item in this sale has been sold.',
      el('span', {
        text: state.next ? `The next sale opens ${fmtWhen(state.next.startsAt)}.` : 'A new sale opens at the top of the hour.',
      }),
    );
  } else if (mode === 'waiting') {
    message = notice(
      'info',
      'No sale is running right now.',
      el('span', {
        text: sale ? 'Below is a preview of the next sale: you can add items as soon as it opens.' : 'The next sale opens soon.',
      }),
    );
  } else if (mode === 'closed') {
    message = notice('info', 'This sale has ended.', el('span', { text: 'Looking for the next one…' }));
  } else if (mode === 'none') {
    message = notice(
      'info',
      'No sale is scheduled yet.',
      el('span', { text: 'New sales open every hour — this page will pick up the next one by itself.' }),
    );
  } else if (mode === 'error') {
    message = notice('bad', 'We can’t reach the shop right now.', el('span', { text: 'Retrying automatically…' }));
  }
  const current = ui.saleMessage.firstElementChild;
  if (!message) ui.saleMessage.replaceChildren();
  else if (!current || current.textContent !== message.textContent) ui.saleMessage.replaceChildren(message);

  tick();
}

/** Where the big countdown points, and what it says. */
function countdownTarget() {
  const sale = state.sale;
  if (state.mode === 'open' && sale) {
    if (sale.status === 'sold_out' && state.next)
      return { label: 'Sold out — the next sale starts in', at: Date.parse(state.next.startsAt), kind: 'start' };
    return {
      label: sale.status === 'paused' ? 'Paused — the sale ends in' : 'This sale ends in',
      at: Date.parse(sale.endsAt),
      kind: 'end',
    };
  }
  if (state.mode === 'waiting') {
    const at = sale ? Date.parse(sale.startsAt) : state.waitUntil;
    return { label: 'The next sale starts in', at, kind: 'start' };
  }
  if (state.mode === 'loading') return { label: 'Looking for the current sale…', at: null };
  if (state.mode === 'closed') return { label: 'This sale has ended', at: null };
  if (state.mode === 'none') return { label: 'No sale is scheduled', at: null };
  return { label: 'Reconnecting to the shop…', at: null };
}

function tick() {
  const target = countdownTarget();
  ui.countdownLabel.textContent = target.label;
  if (!target.at || Number.isNaN(target.at)) {
    ui.countdown.textContent = '--:--';
    return;
  }
  const left = target.at - now();
  ui.countdown.textContent = fmtCountdown(left);
  ui.countdown.setAttribute('aria-label', `${target.label} ${fmtCountdown(left)}`);
  if (left <= 0) {
    // The end of the sale, or the start of the next: ask the server what is open now (not more than every 2 s).
    if (target.kind === 'end' && state.sale && state.sale.status !== 'ended') {
      state.sale = { ...state.sale, status: 'ended' };
      state.mode = 'closed';
      renderSale();
      refreshAllItems();
      renderCheckout();
    }
    if (Date.now() - state.lastRefreshAt > 2000) refresh();
  }
}

// --- Loading the sale --------------------------------------------------------------------------------

async function refresh() {
  const gen = ++state.refreshGen;
  state.lastRefreshAt = Date.now();
  const r = await api('/sales/active');
  if (gen !== state.refreshGen) return;
  if (r.ok) return showOpenSale(r.data);
  if (r.status === 404 || (r.problem && r.problem.code === 'no_active_sale')) {
    const up = await api('/sales/upcoming');
    if (gen !== state.refreshGen) return;
    if (up.ok && up.data && Array.isArray(up.data.sales)) {
      const sales = up.data.sales;
      const open = sales.find((s) => OPEN_STATUSES.includes(s.status));
      if (open) return showOpenSale(open);
      const next = sales.find((s) => s.status === 'scheduled' && Date.parse(s.startsAt) > now() - 5000);
      if (next) return showWaiting(next);
    } else {
      // No list of upcoming sales: the Retry-After of /sales/active still says when the next one opens.
      const retryAfter = Number(r.headers && r.headers.get('retry-after'));
      if (retryAfter > 0) return showWaiting(null, now() + retryAfter * 1000);
    }
    return showNoSale();
  }
  return showLoadError();
}

function switchSale(sale) {
  const changed = !state.sale || state.sale.id !== sale.id;
  state.sale = sale;
  if (changed) {
    state.remaining = null;
    state.items.clear();
    state.order = [];
    state.nextCursor = null;
    state.itemsDone = false;
    ui.grid.replaceChildren();
    state.checkout = readCheckout(account.user(), sale.id);
    connectEvents(sale.id);
    loadItems();
  }
  return changed;
}

async function showOpenSale(sale) {
  state.loadErrors = 0;
  state.mode = 'open';
  state.waitUntil = null;
  switchSale(sale);
  state.next = null;
  renderSale();
  refreshAllItems();
  renderCheckout();
  if (sale.status === 'sold_out') loadNextSale(sale.id);
}

async function loadNextSale(openId) {
  const up = await api('/sales/upcoming');
  if (!up.ok || !up.data || !Array.isArray(up.data.sales)) return;
  const next = up.data.sales.find((s) => s.status === 'scheduled' && s.id !== openId);
  if (next && state.sale && state.sale.id === openId) {
    state.next = next;
    renderSale();
  }
}

function showWaiting(sale, until = null) {
  state.loadErrors = 0;
  state.mode = 'waiting';
  state.next = sale;
  state.waitUntil = until;
  if (sale) switchSale(sale);
  else {
    state.sale = null;
    disconnectEvents();
    ui.grid.replaceChildren();
    state.items.clear();
    state.order = [];
  }
  renderSale();
  refreshAllItems();
  renderItemsFooter();
  renderCheckout();
}

function showNoSale() {
  state.loadErrors = 0;
  state.mode = 'none';
  state.sale = null;
  state.next = null;
  disconnectEvents();
  state.items.clear();
  state.order = [];
  ui.grid.replaceChildren();
  renderSale();
  renderItemsFooter();
  renderCheckout();
  // Nothing to count down to: look again now and then.
  refreshLater(30000, () => state.mode === 'none');
}

/**
 * One pending look again at a time: a page that came back to the foreground, or failed to load again, must
 * not start another loop beside the one already waiting (each would ask the shop every 30 s).
 */
let refreshTimer = null;
function refreshLater(ms, stillWanted = () => true) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    if (stillWanted()) refresh();
  }, ms);
}

function showLoadError() {
  // Keep what is on screen if there is something; say we are retrying.
  if (!state.sale) state.mode = 'error';
  setLive('reconnecting');
  renderSale();
  renderItemsFooter();
  refreshLater(backoffMs(state.loadErrors++, 1000, 15000));
}

// --- Items --------------------------------------------------------------------------------------------

function renderSkeletons() {
  if (ui.grid.children.length) return;
  for (let i = 0; i < 8; i++) ui.grid.append(el('li', { class: 'skeleton', 'aria-hidden': 'true' }));
}

async function loadItems() {
  const sale = state.sale;
  if (!sale || state.loadingItems || state.itemsDone) return;
  state.loadingItems = true;
  ui.grid.setAttribute('aria-busy', 'true');
  ui.loadMore.disabled = true;
  ui.loadMore.textContent = 'Loading…';
  ui.gridState.replaceChildren();
  if (!state.order.length) renderSkeletons();
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (state.nextCursor) q.set('cursor', state.nextCursor);
  const r = await api(`/sales/${sale.id}/items?${q}`);
  state.loadingItems = false;
  ui.grid.setAttribute('aria-busy', 'false');
  if (!state.sale || state.sale.id !== sale.id) return;
  ui.grid.querySelectorAll('.skeleton').forEach((n) => n.remove());
  if (!r.ok) {
    const retry = el('button', { type: 'button', class: 'btn btn-secondary', text: 'Try again' });
    retry.addEventListener('click', loadItems);
    ui.gridState.replaceChildren(el('p', { text: networkProblemText(r) || `The items could not be loaded (${r.problem.title}).` }), retry);
    renderItemsFooter();
    return;
  }
  const frag = document.createDocumentFragment();
  for (const item of r.data.items || []) {
    if (state.items.has(item.id)) continue;
    const entry = makeItem(item);
    state.items.set(item.id, entry);
    state.order.push(item.id);
    frag.append(entry.node);
  }
  ui.grid.append(frag);
  state.nextCursor = r.data.nextCursor ?? null;
  state.itemsDone = state.nextCursor === null;
  renderItemsFooter();
  renderCheckout();
}

function renderItemsFooter() {
  const sale = state.sale;
  const shown = state.order.length;
  if (!sale) {
    ui.itemsCount.textContent = '';
    ui.loadMore.hidden = true;
    if (state.mode === 'none' || state.mode === 'waiting')
      ui.gridState.replaceChildren(el('p', { text: 'The items appear here when the next sale is announced.' }));
    return;
  }
  ui.itemsSub.textContent =
    state.mode === 'waiting'
      ? `A preview of the next sale — it opens ${fmtWhen(sale.startsAt)}.`
      : 'Each item exists once: when it’s gone, it’s gone.';
  ui.itemsCount.textContent = shown ? `Showing ${fmtInt(shown)} of ${fmtInt(sale.itemsTotal)} items` : '';
  ui.loadMore.hidden = state.itemsDone || shown === 0;
  ui.loadMore.disabled = state.loadingItems;
  ui.loadMore.textContent = `Show ${fmtInt(Math.min(PAGE_SIZE, Math.max(0, sale.itemsTotal - shown)) || PAGE_SIZE)} more items`;
  if (!shown && state.itemsDone) ui.gridState.replaceChildren(el('p', { text: 'This sale has no items.' }));
}

function makeItem(item) {
  const { title, no } = splitName(item.name);
  const look = lookOf(item.name);
  const node = el('li', { class: 'item', 'data-item-id': item.id });
  node.style.setProperty('--c1', look.c1);
  node.style.setProperty('--c2', look.c2);
  const art = el('div', { class: 'item-art', html: look.icon });
  art.append(el('span', { class: 'item-no', text: no ? `No. ${no}` : `ID ${item.id}` }), el('span', { class: 'item-badge', text: 'Sold' }));
  const name = el('h3', { class: 'item-name', text: title });
  const status = el('p', { class: 'item-state' });
  const button = el('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'add', 'data-id': item.id });
  node.append(art, el('div', { class: 'item-body' }, name, status, button));
  const entry = { item: { ...item }, node, button, status };
  updateItem(entry);
  return entry;
}

function inCheckout(id) {
  return !!(state.checkout && state.checkout.items.includes(id));
}

function updateItem(entry) {
  const { item, node, button, status } = entry;
  const sale = state.sale;
  const mine = inCheckout(item.id);
  node.dataset.sold = String(!!item.sold);
  node.dataset.inCheckout = String(mine);
  status.textContent = item.sold ? (mine ? 'Sold out — someone was faster' : 'Sold') : mine ? 'In your checkout' : 'Available';
  let label = 'Add to checkout';
  let disabled = false;
  button.classList.toggle('is-in', mine);
  button.classList.toggle('btn-primary', !mine);
  if (state.adding.has(item.id)) {
    label = 'Adding…';
    disabled = true;
  } else if (mine) {
    label = '✓ In your checkout';
    disabled = true;
  } else if (item.sold) {
    label = 'Sold out';
    disabled = true;
  } else if (!sale || state.mode !== 'open') {
    label = state.mode === 'waiting' && sale ? `Opens ${fmtTime(sale.startsAt)}` : 'Not on sale';
    disabled = true;
  } else if (sale.status === 'paused') {
    label = 'Sale paused';
    disabled = true;
  } else if (sale.status !== 'active') {
    label = sale.status === 'sold_out' ? 'Sale sold out' : 'Sale ended';
    disabled = true;
  }
  if (button.textContent !== label) button.textContent = label;
  button.disabled = disabled;
  button.setAttribute('aria-label', `${label}: ${item.name}`);
  button.setAttribute('aria-busy', String(state.adding.has(item.id)));
}

function refreshAllItems() {
  for (const entry of state.items.values()) updateItem(entry);
}

function markSold(id, animate) {
  const entry = state.items.get(id);
  if (!entry || entry.item.sold) return;
  entry.item.sold = true;
  updateItem(entry);
  if (animate) {
    entry.node.classList.remove('just-sold');
    void entry.node.offsetWidth;
    entry.node.classList.add('just-sold');
  }
}

// --- Live updates ---------------------------------------------------------------------------------------

function setLive(live) {
  state.live = live;
  ui.live.dataset.state = live;
  ui.live.textContent =
    live === 'live' ? 'Live updates on' : live === 'reconnecting' ? 'Reconnecting…' : live === 'connecting' ? 'Connecting…' : '';
}

function disconnectEvents() {
  if (state.events) state.events.close();
  state.events = null;
}

function connectEvents(saleId, resyncOnOpen = false) {
  disconnectEvents();
  if (!('EventSource' in window)) return;
  const es = new EventSource(`/sales/${saleId}/events`);
  state.events = es;
  let lost = resyncOnOpen;
  setLive(resyncOnOpen ? 'reconnecting' : 'connecting');
  const mine = (data) => state.events === es && state.sale && data && data.saleId === state.sale.id;
  const parse = (e) => {
    try {
      return JSON.parse(e.data);
    } catch {
      return null;
    }
  };
  es.addEventListener('open', () => {
    if (state.events !== es) return;
    state.eventsAttempt = 0;
    setLive('live');
    if (lost) {
      lost = false;
      resync();
    }
  });
  es.addEventListener('error', () => {
    if (state.events !== es) return;
    lost = true;
    setLive('reconnecting');
    if (es.readyState === EventSource.CLOSED) {
      // The browser gave up (e.g. an error status): reconnect ourselves, with backoff.
      const delay = backoffMs(state.eventsAttempt++, 1000, 15000);
      setTimeout(() => {
        if (state.events === es && state.sale && state.sale.id === saleId) connectEvents(saleId, true);
      }, delay);
    }
  });
  es.addEventListener('snapshot', (e) => {
    const d = parse(e);
    if (!mine(d)) return;
    applyCounts(d.itemsSold, d.remaining);
    if (d.startsAt) state.sale.startsAt = d.startsAt;
    if (d.endsAt) state.sale.endsAt = d.endsAt;
    if (d.status) applyStatus(d.status);
    renderSale();
  });
  es.addEventListener('stock', (e) => {
    const d = parse(e);
    if (!mine(d)) return;
    applyCounts(d.itemsSold, d.remaining);
    for (const id of d.soldOut || []) markSold(id, true);
    if (d.remaining === 0 && state.sale.status === 'active') applyStatus('sold_out');
    renderSale();
    renderCheckout();
  });
  es.addEventListener('sale_sold_out', (e) => {
    const d = parse(e);
    if (!mine(d)) return;
    applyCounts(d.itemsSold, 0);
    applyStatus('sold_out');
    renderSale();
  });
  for (const [type, status] of [
    ['paused', 'paused'],
    ['resumed', 'active'],
    ['started', 'active'],
    ['ended', 'ended'],
  ]) {
    es.addEventListener(type, (e) => {
      const d = parse(e);
      if (!mine(d)) return;
      applyStatus(status);
      renderSale();
    });
  }
}

function applyCounts(itemsSold, remaining) {
  if (typeof itemsSold === 'number') state.sale.itemsSold = itemsSold;
  if (typeof remaining === 'number') state.remaining = remaining;
}

function applyStatus(status) {
  const sale = state.sale;
  const before = sale.status;
  if (before === status) return;
  sale.status = status;
  if (state.mode === 'waiting' && OPEN_STATUSES.includes(status)) {
    // The sale we were waiting for opened.
    state.mode = 'open';
    toast('good', 'The sale is open!', 'Add items to your checkout and buy before they’re gone.');
    refresh();
  } else if (status === 'ended') {
    state.mode = 'closed';
    setTimeout(refresh, 1500);
  } else if (status === 'paused') {
    toast('warn', 'The sale is paused for a moment.', 'This page updates by itself when it resumes.');
  } else if (status === 'active' && before === 'paused') {
    toast('good', 'The sale is back on.', 'You can add and buy items again.');
  } else if (status === 'sold_out') {
    loadNextSale(sale.id);
  }
  refreshAllItems();
  renderCheckout();
}

/** After a reconnect: the sale and the items on screen, as the server sees them now. */
async function resync() {
  const sale = state.sale;
  if (!sale) return refresh();
  const r = await api(`/sales/${sale.id}`);
  if (!state.sale || state.sale.id !== sale.id) return;
  if (r.ok) {
    state.sale.itemsSold = r.data.itemsSold;
    state.sale.startsAt = r.data.startsAt;
    state.sale.endsAt = r.data.endsAt;
    applyStatus(r.data.status);
    state.remaining = null;
    renderSale();
  }
  let cursor = null;
  let seen = 0;
  const want = state.order.length;
  while (seen < want) {
    const q = new URLSearchParams({ limit: String(Math.min(RESYNC_PAGE, want - seen)) });
    if (cursor) q.set('cursor', cursor);
    const page = await api(`/sales/${sale.id}/items?${q}`);
    if (!page.ok || !state.sale || state.sale.id !== sale.id) break;
    for (const item of page.data.items || []) {
      const entry = state.items.get(item.id);
      if (entry && entry.item.sold !== item.sold) {
        entry.item.sold = item.sold;
        updateItem(entry);
      }
    }
    seen += (page.data.items || []).length;
    cursor = page.data.nextCursor;
    if (!cursor) break;
  }
  renderCheckout();
}

// Safety net while live updates are down: re-read the state every 10 s.
setInterval(() => {
  if (state.live !== 'live' && state.sale && state.mode === 'open' && !document.hidden) resync();
}, 10000);

// --- The buyer ------------------------------------------------------------------------------------------

const account = createAccount({ toast, onChange: onAccountChange });

/** Someone signed in or out, or the page learned who it is: show that buyer's checkout. */
function onAccountChange({ previousUser, signedOut }) {
  const user = account.user();
  // Signing out leaves nothing of the buyer's behind in this browser (their checkout stays on the server).
  if (signedOut && previousUser) forgetCheckout(previousUser);
  if (user !== previousUser) {
    state.checkout = state.sale && user ? readCheckout(user, state.sale.id) : null;
    feedback(null);
  }
  refreshAllItems();
  renderCheckout();
}

// --- Checkout -----------------------------------------------------------------------------------------

function renderCheckout() {
  const co = state.checkout;
  const ids = co ? co.items : [];
  ui.checkoutCount.textContent = String(ids.length);
  ui.checkoutCount.dataset.count = String(ids.length);
  ui.checkoutCount.setAttribute('aria-label', `${ids.length} ${ids.length === 1 ? 'item' : 'items'}`);

  account.renderWho(ui.who);

  ui.checkoutList.replaceChildren(
    ...ids.map((id) => {
      const entry = state.items.get(id);
      const name = itemName(id);
      const look = lookOf(name);
      const sold = !!(entry && entry.item.sold);
      const line = el('li', { class: 'checkout-line', 'data-item-id': id, 'data-sold': String(sold) });
      line.style.setProperty('--c1', look.c1);
      line.style.setProperty('--c2', look.c2);
      line.append(
        el('span', { class: 'swatch', html: look.icon }),
        el(
          'span',
          { class: 'line-text' },
          el('span', { class: 'line-name', text: name }),
          el('span', { class: 'line-state', text: sold ? 'Just sold out — it will be skipped' : 'Not reserved — buy soon' }),
        ),
      );
      return line;
    }),
  );
  ui.checkoutEmpty.hidden = ids.length > 0;

  const sale = state.sale;
  const bits = [];
  if (co && co.expiresAt) bits.push(`Your checkout stays open until ${fmtTime(co.expiresAt)}.`);
  if (sale && state.mode === 'open')
    bits.push(`Limit: ${fmtInt(sale.perUserLimit)} ${sale.perUserLimit === 1 ? 'item' : 'items'} per person.`);
  ui.checkoutMeta.textContent = bits.join(' ');

  const paused = sale && sale.status === 'paused';
  ui.buy.disabled = !ids.length || state.buying || state.adding.size > 0 || paused;
  ui.buy.textContent = state.buying
    ? 'Buying…'
    : paused
      ? 'Paused — please wait'
      : ids.length > 1
        ? `Buy ${ids.length} items now`
        : 'Buy now';
  ui.buy.setAttribute('aria-busy', String(state.buying));

  ui.mobileCart.hidden = ids.length === 0;
  ui.mobileCartText.textContent = `Checkout · ${ids.length} ${ids.length === 1 ? 'item' : 'items'}`;
}

async function addToCheckout(id) {
  // Right after the page opens, the shop may not have said yet who this is.
  if (!account.mode()) await Promise.race([account.ready, sleep(4000)]);
  if (!account.canBuy()) return account.requireBuyer(() => addToCheckout(id));
  const sale = state.sale;
  if (!sale || state.adding.has(id)) return;
  // An item added while the purchase is on its way could be bought with it unasked, or start a checkout the
  // page then forgets: one at a time.
  if (state.buying) return toast('warn', 'One moment.', 'Your purchase is going through; add more once it is done.', { key: 'buying' });
  const name = itemName(id);
  state.adding.add(id);
  const entry = state.items.get(id);
  if (entry) updateItem(entry);
  renderCheckout(); // "Buy now" waits for the item
  const q = new URLSearchParams({ ...account.query(), id: String(id) });
  const r = await api(`/checkout?${q}`, { method: 'POST', headers: account.headers() });
  state.adding.delete(id);
  if (r.ok) {
    const names = { ...((state.checkout && state.checkout.names) || {}) };
    names[id] = name;
    for (const other of r.data.items) if (!names[other]) names[other] = itemName(other);
    state.checkout = { code: r.data.code, saleId: r.data.saleId, items: r.data.items, expiresAt: r.data.expiresAt, names };
    writeCheckout();
    toast('good', 'Added to your checkout', `${name} — buy it before someone else does.`, { timeoutMs: 3500, key: 'added' });
  } else {
    handleRefusal(r, id, name);
  }
  if (entry) updateItem(entry);
  renderCheckout();
}

/** A checkout refused: say why, in words, and bring the page in line with what it learned. */
function handleRefusal(r, id, name) {
  const code = r.problem && r.problem.code;
  if (r.status === 429)
    return toast('warn', 'Slow down a little.', `Too many requests in a short time. ${slowDownText(r)}`, { key: 'slow' });
  const net = networkProblemText(r);
  if (net) return toast('bad', 'That didn’t go through.', net);
  // Signed out, session expired, or the code still to enter: the account dialog asks, then adds the item.
  if (account.handleProblem(r, () => addToCheckout(id))) return;
  switch (code) {
    case 'admission_required': {
      // The waiting room is on: take a place in the sale's line; that page comes back here when admitted.
      const q = new URLSearchParams({ sale: String(state.sale ? state.sale.id : r.problem.saleId || ''), ...account.query() });
      location.assign(`/line?${q}`);
      return;
    }
    case 'item_sold_out':
      markSold(id, true);
      renderCheckout();
      return toast('warn', `${name} just sold out.`, 'Someone else got it first — try another item.');
    case 'user_limit_reached': {
      const n = state.sale ? state.sale.perUserLimit : null;
      return toast(
        'bad',
        'You’ve reached your limit.',
        n
          ? `You can buy at most ${n} ${n === 1 ? 'item' : 'items'} per person in this sale, counting what you’ve bought and what’s in your checkout.`
          : 'You’ve reached the per-person limit of this sale.',
      );
    }
    case 'sale_sold_out':
      applyStatus('sold_out');
      renderSale();
      return toast('bad', 'The sale is sold out.', 'Every item has been sold. A new sale opens every hour.');
    case 'sale_paused':
      applyStatus('paused');
      renderSale();
      return toast('warn', 'The sale is paused for a moment.', 'Try again when it resumes — this page updates by itself.');
    case 'sale_not_started':
      refresh();
      return toast('info', 'This sale hasn’t started yet.', 'You can add items as soon as the countdown reaches zero.');
    case 'no_active_sale':
    case 'sale_ended':
      refresh();
      return toast('info', 'The sale is over.', 'No sale is running right now — the next one opens at the top of the hour.');
    case 'item_not_found':
      refresh();
      return toast('warn', 'That item isn’t in the running sale.', 'The page is being updated with the current sale.');
    case 'invalid_request':
      return toast(
        'bad',
        'The shop didn’t accept that request.',
        r.problem.detail || (account.mode() === 'trusted' ? 'Please check your user name and try again.' : 'Please try again.'),
      );
    default:
      return toast('bad', r.problem.title || 'Something went wrong.', r.problem.detail || 'Please try again.');
  }
}

async function buy() {
  const co = state.checkout;
  // Not while an item is on its way into the checkout: it would be bought with the rest, unseen.
  if (!co || !co.items.length || state.buying || state.adding.size > 0) return;
  state.buying = true;
  feedback(null);
  renderCheckout();
  const r = await api(`/purchase?${new URLSearchParams({ code: co.code })}`, {
    method: 'POST',
    headers: account.headers(),
    timeoutMs: 20000,
  });
  state.buying = false;
  if (!r.ok && r.problem && r.problem.code === 'admission_required' && state.sale) {
    // The admission ran out before the purchase: back to the line (the checkout stays on the server).
    location.assign(`/line?${new URLSearchParams({ sale: String(state.sale.id), ...account.query() })}`);
    return;
  }
  const names = (ids) => ids.map((id) => el('li', { text: itemName(id) }));
  if (r.ok) {
    const { orderId, purchased = [], failed = [] } = r.data;
    for (const id of purchased) markSold(id, false);
    for (const f of failed) if (f.reason === 'item_sold_out') markSold(f.id, true);
    const failedList = el('ul', {}, ...failed.map((f) => el('li', {}, el('b', { text: itemName(f.id) }), ` — ${reasonWords(f.reason)}`)));
    const orderLine = orderId ? el('span', {}, 'Order ', el('span', { class: 'order-id', text: orderId })) : null;
    let node;
    if (purchased.length && !failed.length) {
      node = notice(
        'good',
        `You bought ${purchased.length === 1 ? 'it' : `all ${purchased.length} items`}!`,
        el('ul', {}, ...names(purchased)),
        orderLine,
        el('span', { text: 'Your order is confirmed and safely recorded.' }),
      );
    } else if (purchased.length) {
      node = notice(
        'warn',
        `You bought ${purchased.length} of ${purchased.length + failed.length} items.`,
        el('span', { text: 'Bought:' }),
        el('ul', {}, ...names(purchased)),
        orderLine,
        el('span', { text: 'Not bought:' }),
        failedList,
      );
    } else {
      node = notice(
        'bad',
        'Nothing was bought.',
        failedList,
        el('span', { text: 'You were not charged. Try other items while the sale lasts.' }),
      );
    }
    node.dataset.outcome = purchased.length && !failed.length ? 'bought' : purchased.length ? 'partial' : 'none';
    feedback(node);
    // The code is spent: the next item starts a new checkout (unless one already has, under another code).
    if (state.checkout && state.checkout.code === co.code) state.checkout = null;
    writeCheckout();
    refreshAllItems();
  } else {
    const code = r.problem.code;
    const net = networkProblemText(r);
    let node;
    if (r.status === 429) {
      node = notice(
        'warn',
        'Slow down a little.',
        el('span', { text: `Too many requests in a short time: nothing was bought yet and your checkout is kept. ${slowDownText(r)}` }),
      );
    } else if (net) {
      node = notice(
        'bad',
        'We couldn’t confirm your purchase.',
        el('span', { text: `${net} Your checkout is kept: pressing “Buy now” again is safe, it never buys twice.` }),
      );
    } else if (account.handleProblem(r, buy)) {
      // The dialog asks for a sign-in or the code; the purchase goes through right after.
      node = notice(
        'info',
        code === 'verification_required' ? 'Enter your sign-in code to buy.' : 'Please sign in again to buy.',
        el('span', { text: 'Nothing was bought yet and your checkout is kept: the purchase goes through as soon as you’re signed in.' }),
      );
    } else if (code === 'checkout_not_found') {
      state.checkout = null;
      writeCheckout();
      node = notice(
        'warn',
        'This checkout has expired.',
        el('span', { text: 'Nothing was bought. Add the items again to start a new checkout.' }),
      );
    } else if (code === 'sale_ended') {
      state.checkout = null;
      writeCheckout();
      node = notice(
        'bad',
        'The sale ended before your purchase went through.',
        el('span', { text: 'Nothing was bought. A new sale opens every hour.' }),
      );
      refresh();
    } else if (code === 'sale_paused') {
      applyStatus('paused');
      renderSale();
      node = notice(
        'warn',
        'The sale is paused for a moment.',
        el('span', { text: 'Nothing was bought yet and your checkout is kept. Buy again when the sale resumes.' }),
      );
    } else {
      node = notice('bad', r.problem.title || 'The purchase failed.', el('span', { text: r.problem.detail || 'Please try again.' }));
    }
    node.dataset.outcome = code || 'error';
    feedback(node);
  }
  renderCheckout();
  // On a phone the panel is below the items: bring the answer into view. (On a desktop it is beside them.)
  if (window.matchMedia('(max-width: 960px)').matches) ui.feedback.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

// --- Wiring ---------------------------------------------------------------------------------------------

ui.grid.addEventListener('click', (e) => {
  const button = e.target.closest('button[data-action="add"]');
  if (button && !button.disabled) addToCheckout(Number(button.dataset.id));
});
ui.loadMore.addEventListener('click', loadItems);
ui.buy.addEventListener('click', buy);
ui.hideSold.addEventListener('change', () => ui.grid.classList.toggle('hide-sold', ui.hideSold.checked));
ui.mobileCart.addEventListener('click', (e) => {
  e.preventDefault();
  ui.checkout.scrollIntoView({ behavior: 'smooth', block: 'start' });
  ui.checkout.focus({ preventScroll: true });
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && state.live !== 'live') resync();
});

renderSale();
renderCheckout();
refresh();
setInterval(tick, 1000);
